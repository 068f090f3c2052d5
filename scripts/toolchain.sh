#!/usr/bin/env bash
# Builds, or finds already installed, every binary the real engine needs:
#   pulumi + its Node.js language host, the Kubernetes provider (registered in a
#   private PULUMI_HOME), a control plane (etcd, kube-apiserver,
#   kube-controller-manager, kube-scheduler, kubectl if missing), kwok/kwokctl
#   the Argo Rollouts controller + kubectl plugin + CRDs, trigger-check (our
#   notification conditions evaluated as that controller does), and Prometheus +
#   promtool (analysis runs and alert-rule tests). It also copies, with
#   nothing to build, the CRD manifests of the platform's other add-ons (ArgoCD,
#   prometheus-operator, cert-manager) out of their Go modules.
# Everything comes from Go module sources at the versions in versions.env and
# lands in $ROLLOUT_STACKS_CACHE/toolchain/<name>-<version>/ (default cache:
# ~/.cache/rollout-stacks), never in the repo. A finished piece carries a stamp
# naming what it was built from, so a second run builds nothing.
# Finally writes $CACHE/toolchain/env.sh: `source` it to use the toolchain.
#
# Usage: bash scripts/toolchain.sh
set -euo pipefail
# shellcheck source=lib/common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

REPO_DIR=$(cd "$SCRIPTS_DIR/.." && pwd)
SRC_DIR=$TOOLCHAIN_DIR/src
LOG_DIR=$TOOLCHAIN_DIR/logs

# Static, reproducible binaries; never let go.mod `toolchain` lines download another
# Go; -mod=mod lets the wrapper modules below complete their own go.sum.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
GO_BUILD=(go build -trimpath -p 2)
export PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true

BIN_DIRS=()        # directories env.sh puts on PATH
TOTAL_SECONDS=0    # seconds spent building in this run
BUILD_LOG=/dev/null

# --- helpers -----------------------------------------------------------------

# report NAME VERSION HOW SECONDS PATH: the one line printed per binary.
report() { printf '%-30s %-9s %-9s %5ss  %s\n' "$@"; }

add_bin_dir() {
  local dir=$1 known
  for known in "${BIN_DIRS[@]}"; do [[ $known == "$dir" ]] && return 0; done
  BIN_DIRS+=("$dir")
}

# run WHAT CMD...: runs CMD, output appended to the current build log. On failure
# shows the log's tail and dies naming WHAT (the module@version being built).
run() {
  local what=$1; shift
  if ! "$@" >>"$BUILD_LOG" 2>&1; then
    tail -n 25 "$BUILD_LOG" >&2
    die "$what: \`$*\` failed (full log: $BUILD_LOG)"
  fi
}

# installed BINARY VERSION ARGS...: prints the path of BINARY found on PATH
# (outside our cache) whose `BINARY ARGS...` output mentions VERSION.
installed() {
  local bin=$1 version=$2 path output; shift 2
  path=$(command -v "$bin") || return 1
  [[ $path != "$TOOLCHAIN_DIR"/* ]] || return 1
  # Not `| grep -q` under pipefail: grep exits at the first match and the writer may die of SIGPIPE.
  output=$("$path" "$@" 2>&1) || return 1
  [[ $output == *"$version"* ]] || return 1
  printf '%s\n' "$path"
}

# module_dir MODULE@VERSION: downloads a module and prints its (read-only) directory.
module_dir() {
  local json
  json=$(go mod download -json "$1" 2>&1) || die "$1: go mod download failed: $json"
  node -e 'console.log(JSON.parse(process.argv[1]).Dir)' "$json"
}

# wrapper_module DIR MODULE@VERSION [gomod-flags.mjs options]: a throwaway main
# module requiring MODULE@VERSION with MODULE's own replaces and godebug lines.
# Needed because `go install m@v` refuses modules with replaces, and replaces of
# a dependency are ignored unless the main module repeats them.
wrapper_module() {
  local dir=$1 module=$2 gomod flags; shift 2
  module_dir "$module" >/dev/null
  gomod=$(go env GOMODCACHE)/cache/download/${module%@*}/@v/${module#*@}.mod
  flags=$(go mod edit -json "$gomod" | node "$SCRIPTS_DIR/lib/gomod-flags.mjs" "$@")
  rm -rf "$dir" && mkdir -p "$dir"
  # shellcheck disable=SC2086 # one flag per line, none contains spaces
  (cd "$dir" && run "$module" go mod init toolchain.local/wrapper &&
    run "$module" go mod edit -require="$module" $flags)
}

# writable_copy MODULE@VERSION DIR: a writable copy of a module's source, for
# modules built in place (their own replaces then apply) or that need generated files.
writable_copy() {
  local src
  src=$(module_dir "$1")
  rm -rf "$2" && mkdir -p "$(dirname "$2")"
  cp -r "$src" "$2" && chmod -R u+w "$2"
}

# piece NAME VERSION DIR KEY BUILDER BINARY...: unless DIR's stamp equals KEY, runs
# `BUILDER DIR` (logging to $LOG_DIR) and stamps DIR; then reports each BINARY
# (written BINARY@VERSION when it is of another version than the piece).
piece() {
  local name=$1 version=$2 dir=$3 key=$4 builder=$5 how=cached seconds=0 start bin
  shift 5
  if [[ ! -f $dir/.stamp || $(<"$dir/.stamp") != "$key" ]]; then
    BUILD_LOG=$LOG_DIR/$name-$version.log
    rm -rf "$dir" && mkdir -p "$dir" && : >"$BUILD_LOG"
    log "building $name $version (log: $BUILD_LOG)"
    start=$SECONDS
    "$builder" "$dir"
    seconds=$((SECONDS - start)) how=built
    TOTAL_SECONDS=$((TOTAL_SECONDS + seconds))
    printf '%s\n' "$key" >"$dir/.stamp"
  fi
  for bin in "$@"; do
    [[ $bin == *@* ]] || bin+=@$version
    [[ -x $dir/${bin%@*} ]] || die "$name $version: $dir/${bin%@*} missing after build"
    report "${bin%@*}" "${bin#*@}" "$how" "$seconds" "$dir/${bin%@*}"
  done
}

# --- Pulumi CLI + Node.js language host ----------------------------------------

PULUMI_VERSION_LDFLAG=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

build_pulumi() {
  local dir=$1 src=$SRC_DIR/pulumi-$PULUMI_VERSION
  wrapper_module "$src" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
  (cd "$src" &&
    run "pulumi/sdk/v3@v$PULUMI_VERSION" go mod edit -require="github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" &&
    run "pulumi/pkg/v3@v$PULUMI_VERSION" "${GO_BUILD[@]}" -o "$dir/pulumi" \
      -ldflags "-X $PULUMI_VERSION_LDFLAG=v$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  build_nodejs_host "$dir"
  copy_nodejs_resource_script "$dir"
}

# The host must sit beside `pulumi`, which looks there before PATH. Its own module
# (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is refused by the Go proxy, so the
# last host that lived inside sdk/v3 (see versions.env) goes to libexec/, fronted
# by scripts/go/nodejs-host-shim, which adds the RunPlugin call newer CLIs use to
# start policy packs and forwards everything else to it.
NODEJS_HOST_SHIM_DIR=$SCRIPTS_DIR/go/nodejs-host-shim

build_nodejs_host() {
  local dir=$1 src=$SRC_DIR/pulumi-language-nodejs-$PULUMI_NODEJS_HOST_VERSION
  local module=github.com/pulumi/pulumi/sdk/v3@v$PULUMI_NODEJS_HOST_VERSION
  wrapper_module "$src" "$module"
  (cd "$src" && run "$module" "${GO_BUILD[@]}" -o "$dir/libexec/pulumi-language-nodejs" \
    -ldflags "-X $PULUMI_VERSION_LDFLAG=v$PULUMI_NODEJS_HOST_VERSION" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)

  local shim=$SRC_DIR/nodejs-host-shim sdk=github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION
  rm -rf "$shim" && mkdir -p "$shim" && cp "$NODEJS_HOST_SHIM_DIR"/*.go "$shim/"
  (cd "$shim" && run "$sdk" go mod init toolchain.local/nodejs-host-shim &&
    run "$sdk" go mod edit -require="$sdk" &&
    run "nodejs-host-shim ($sdk)" "${GO_BUILD[@]}" -o "$dir/pulumi-language-nodejs" .)
}

# pulumi-resource-pulumi-nodejs (dynamic providers) is a shell script shipped in the
# @pulumi/pulumi npm package: take it from the repo's node_modules when that holds
# the pinned version, else from the package tarball.
copy_nodejs_resource_script() {
  local dir=$1 script=pulumi-resource-pulumi-nodejs
  local pkg=$REPO_DIR/node_modules/@pulumi/pulumi tmp
  if [[ -f $pkg/$script ]] &&
    [[ $(node -p 'require(process.argv[1]).version' "$pkg/package.json") == "$PULUMI_VERSION" ]]; then
    install -m 0755 "$pkg/$script" "$dir/$script"
    return
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && run "npm @pulumi/pulumi@$PULUMI_VERSION" npm pack --silent "@pulumi/pulumi@$PULUMI_VERSION" &&
    run "npm @pulumi/pulumi@$PULUMI_VERSION" tar xzf ./*.tgz "package/$script")
  install -m 0755 "$tmp/package/$script" "$dir/$script"
  rm -rf "$tmp"
}

ensure_pulumi() {
  local path
  if path=$(installed pulumi "v$PULUMI_VERSION" version) &&
    [[ -x $(dirname "$path")/pulumi-language-nodejs ]]; then
    report pulumi "$PULUMI_VERSION" installed 0 "$path"
    PULUMI_BIN=$path
    return
  fi
  local dir=$TOOLCHAIN_DIR/pulumi-$PULUMI_VERSION shim_hash
  shim_hash=$(cat "$NODEJS_HOST_SHIM_DIR"/*.go | sha256sum)
  piece pulumi "$PULUMI_VERSION" "$dir" \
    "pkg/v3@v$PULUMI_VERSION nodejs-host=sdk/v3@v$PULUMI_NODEJS_HOST_VERSION shim=${shim_hash:0:12}" build_pulumi \
    pulumi pulumi-language-nodejs "libexec/pulumi-language-nodejs@$PULUMI_NODEJS_HOST_VERSION" \
    pulumi-resource-pulumi-nodejs
  add_bin_dir "$dir"
  PULUMI_BIN=$dir/pulumi
}

# --- Pulumi Kubernetes provider -------------------------------------------------

KUBERNETES_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4

# provider/v4 is untagged: build the pinned pseudo-version in a writable copy, with
# its relative sdk/v4 replace swapped for the released SDK, after generating the
# gitignored schema-embed.json/terraform-mapping-embed.json that main.go embeds.
build_kubernetes_provider() {
  local dir=$1 src=$SRC_DIR/pulumi-kubernetes-$PULUMI_KUBERNETES_VERSION
  local module=$KUBERNETES_PROVIDER_MODULE@$PULUMI_KUBERNETES_PROVIDER_MODULE
  # The checksum database has no record of this pseudo-version (lookup answers
  # 404), so it is taken from the module proxy unverified.
  GONOSUMDB=$KUBERNETES_PROVIDER_MODULE writable_copy "$module" "$src"
  (cd "$src" &&
    run "$module" go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
      -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$PULUMI_KUBERNETES_VERSION" &&
    (cd cmd/pulumi-resource-kubernetes && VERSION=$PULUMI_KUBERNETES_VERSION run "$module" go run generate.go) &&
    run "$module" "${GO_BUILD[@]}" -o "$dir/pulumi-resource-kubernetes" \
      -ldflags "-X $KUBERNETES_PROVIDER_MODULE/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
      ./cmd/pulumi-resource-kubernetes)
}

# Registers the provider in our PULUMI_HOME (giving the version keeps the CLI off
# the network) unless it is there already. The plugin directory is checked rather
# than `pulumi plugin ls`, which can miss a plugin while another CLI holds its lock.
register_kubernetes_provider() {
  local binary=$1
  local installed=$PULUMI_HOME/plugins/resource-kubernetes-v$PULUMI_KUBERNETES_VERSION/pulumi-resource-kubernetes
  if cmp -s "$binary" "$installed"; then
    return
  fi
  BUILD_LOG=$LOG_DIR/pulumi-plugin-install.log
  run "pulumi-resource-kubernetes@$PULUMI_KUBERNETES_VERSION" \
    "$PULUMI_BIN" plugin install resource kubernetes "$PULUMI_KUBERNETES_VERSION" --file "$binary"
  cmp -s "$binary" "$installed" ||
    die "pulumi plugin install did not put kubernetes $PULUMI_KUBERNETES_VERSION at $installed"
}

ensure_kubernetes_provider() {
  local dir=$TOOLCHAIN_DIR/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_VERSION
  piece pulumi-resource-kubernetes "$PULUMI_KUBERNETES_VERSION" "$dir" \
    "$KUBERNETES_PROVIDER_MODULE@$PULUMI_KUBERNETES_PROVIDER_MODULE" build_kubernetes_provider \
    pulumi-resource-kubernetes
  # Deliberately not on PATH: the CLI prefers an ambient pulumi-resource-kubernetes
  # over PULUMI_HOME's plugins, which would bypass the registered version.
  register_kubernetes_provider "$dir/pulumi-resource-kubernetes"
}

# --- Control plane: kube-*, kubectl, etcd --------------------------------------

KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)
KUBE_TARGETS=()    # what build_kubernetes builds: KUBE_BINARIES not installed, maybe kubectl

# installed_kubectl: path of a kubectl on PATH (outside our cache) within the one
# minor version of skew kubectl supports against our API server.
installed_kubectl() {
  local path minor want=${KUBERNETES_VERSION#*.}
  want=${want%%.*}
  path=$(command -v kubectl) && [[ $path != "$TOOLCHAIN_DIR"/* ]] || return 1
  minor=$("$path" version --client -o json 2>/dev/null |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).clientVersion.minor)') || return 1
  minor=${minor%%[!0-9]*}
  ((minor >= want - 1 && minor <= want + 1)) || return 1
  printf '%s\n' "$path"
}

kube_ldflags() {
  local major=${KUBERNETES_VERSION%%.*} minor=${KUBERNETES_VERSION#*.} pkg flags=()
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=("-X $pkg.gitVersion=v$KUBERNETES_VERSION" "-X $pkg.gitMajor=$major"
      "-X $pkg.gitMinor=$minor" "-X $pkg.gitTreeState=clean")
  done
  printf '%s ' "${flags[@]}"
}

# One `go build` for all targets: they share nearly every package. The wrapper
# swaps kubernetes' ./staging/src/k8s.io/* replaces for the published v0.<minor>.<patch>.
build_kubernetes() {
  local dir=$1 src=$SRC_DIR/kubernetes-$KUBERNETES_VERSION bin pkgs=()
  local module=k8s.io/kubernetes@v$KUBERNETES_VERSION
  wrapper_module "$src" "$module" --staging-version "v0.${KUBERNETES_VERSION#*.}"
  for bin in "${KUBE_TARGETS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$bin"); done
  (cd "$src" && run "$module" "${GO_BUILD[@]}" -o "$dir/" -ldflags "$(kube_ldflags)" "${pkgs[@]}")
}

ensure_kubernetes() {
  local dir=$TOOLCHAIN_DIR/kubernetes-$KUBERNETES_VERSION bin path
  for bin in "${KUBE_BINARIES[@]}"; do
    if path=$(installed "$bin" "v$KUBERNETES_VERSION" --version); then
      report "$bin" "$KUBERNETES_VERSION" installed 0 "$path"
    else
      KUBE_TARGETS+=("$bin")
    fi
  done
  if path=$(installed_kubectl); then
    report kubectl "$("$path" version --client -o json | node -e \
      'console.log(JSON.parse(require("fs").readFileSync(0)).clientVersion.gitVersion)')" installed 0 "$path"
  else
    KUBE_TARGETS+=(kubectl)
  fi
  ((${#KUBE_TARGETS[@]})) || return 0
  piece kubernetes "$KUBERNETES_VERSION" "$dir" "k8s.io/kubernetes@v$KUBERNETES_VERSION ${KUBE_TARGETS[*]}" \
    build_kubernetes "${KUBE_TARGETS[@]}"
  add_bin_dir "$dir"
}

# etcd's main package is the server/v3 module root.
build_etcd() {
  local dir=$1 src=$SRC_DIR/etcd-$ETCD_VERSION module=go.etcd.io/etcd/server/v3@v$ETCD_VERSION
  wrapper_module "$src" "$module"
  (cd "$src" && run "$module" "${GO_BUILD[@]}" -o "$dir/etcd" go.etcd.io/etcd/server/v3)
}

ensure_etcd() {
  local path
  if path=$(installed etcd "etcd Version: $ETCD_VERSION" --version); then
    report etcd "$ETCD_VERSION" installed 0 "$path"
    return
  fi
  piece etcd "$ETCD_VERSION" "$TOOLCHAIN_DIR/etcd-$ETCD_VERSION" "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" \
    build_etcd etcd
  add_bin_dir "$TOOLCHAIN_DIR/etcd-$ETCD_VERSION"
}

# --- kwok ----------------------------------------------------------------------

# KubeVersion is the default kwokctl assumes for a cluster; stamp ours.
build_kwok() {
  local dir=$1 module=sigs.k8s.io/kwok@v$KWOK_VERSION
  GOBIN=$dir run "$module" go install -trimpath -p 2 \
    -ldflags "-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=v$KUBERNETES_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@v$KWOK_VERSION"
}

ensure_kwok() {
  local path
  if path=$(installed kwokctl "v$KWOK_VERSION" --version) && command -v kwok >/dev/null; then
    report kwokctl "$KWOK_VERSION" installed 0 "$path"
    return
  fi
  piece kwok "$KWOK_VERSION" "$TOOLCHAIN_DIR/kwok-$KWOK_VERSION" \
    "sigs.k8s.io/kwok@v$KWOK_VERSION kube=v$KUBERNETES_VERSION" build_kwok kwok kwokctl
  add_bin_dir "$TOOLCHAIN_DIR/kwok-$KWOK_VERSION"
}

# The Stages kwokctl gives a cluster when its config names none: nodes Ready, pods Ready, done
# and deleted. scripts/cluster.sh gives kwok its own failing-pod Stages, and kwokctl then adds
# none of these, so they are copied from the module (as it embeds them) for cluster.sh to add.
KWOK_DEFAULT_STAGES=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)

ensure_kwok_stages() {
  local module=sigs.k8s.io/kwok@v$KWOK_VERSION dir=$TOOLCHAIN_DIR/kwok-stages-$KWOK_VERSION how=cached start=$SECONDS src stage
  if [[ ! -f $dir/.stamp || $(<"$dir/.stamp") != "$module ${KWOK_DEFAULT_STAGES[*]}" ]]; then
    BUILD_LOG=$LOG_DIR/kwok-stages-$KWOK_VERSION.log
    rm -rf "$dir" && mkdir -p "$dir" && : >"$BUILD_LOG"
    src=$(module_dir "$module")
    for stage in "${KWOK_DEFAULT_STAGES[@]}"; do
      run "$module" cp "$src/kustomize/stage/$stage" "$dir/"
    done
    chmod u+w "$dir"/*.yaml
    printf '%s\n' "$module ${KWOK_DEFAULT_STAGES[*]}" >"$dir/.stamp"
    how=fetched
  fi
  for stage in "${KWOK_DEFAULT_STAGES[@]}"; do
    grep -q '^kind: Stage$' "$dir/${stage##*/}" || die "$module: ${stage##*/} is not a kwok Stage"
  done
  report kwok-stages "$KWOK_VERSION" "$how" "$((SECONDS - start))" "$dir (${#KWOK_DEFAULT_STAGES[@]} default Stages)"
  KWOK_STAGES_DIR=$dir
}

# --- Argo Rollouts ---------------------------------------------------------------

# Built in a copy of its own module so its ~30 k8s.io/* replaces apply.
build_argo_rollouts() {
  local dir=$1 src=$SRC_DIR/argo-rollouts-$ARGO_ROLLOUTS_VERSION
  local module=github.com/argoproj/argo-rollouts@v$ARGO_ROLLOUTS_VERSION
  local pkg=github.com/argoproj/argo-rollouts/utils/version
  writable_copy "$module" "$src"
  (cd "$src" && run "$module" "${GO_BUILD[@]}" -o "$dir/" \
    -ldflags "-X $pkg.version=$ARGO_ROLLOUTS_VERSION -X $pkg.gitTag=v$ARGO_ROLLOUTS_VERSION" \
    ./cmd/rollouts-controller ./cmd/kubectl-argo-rollouts)
  mkdir -p "$dir/crds" && cp "$src"/manifests/crds/*-crd.yaml "$dir/crds/"
}

ensure_argo_rollouts() {
  ARGO_ROLLOUTS_DIR=$TOOLCHAIN_DIR/argo-rollouts-$ARGO_ROLLOUTS_VERSION
  piece argo-rollouts "$ARGO_ROLLOUTS_VERSION" "$ARGO_ROLLOUTS_DIR" \
    "github.com/argoproj/argo-rollouts@v$ARGO_ROLLOUTS_VERSION" build_argo_rollouts \
    rollouts-controller kubectl-argo-rollouts
  add_bin_dir "$ARGO_ROLLOUTS_DIR"
}

# --- Notification trigger check --------------------------------------------------

TRIGGER_CHECK_DIR=$SCRIPTS_DIR/go/trigger-check

# scripts/go/trigger-check, compiled as a command inside a copy of the argo-rollouts
# module: its notifications-engine and expr are then the controller's own, and nearly
# every package comes from the controller's build cache.
build_trigger_check() {
  local dir=$1 src=$SRC_DIR/trigger-check-$ARGO_ROLLOUTS_VERSION
  local module=github.com/argoproj/argo-rollouts@v$ARGO_ROLLOUTS_VERSION
  writable_copy "$module" "$src"
  mkdir -p "$src/cmd/trigger-check" && cp "$TRIGGER_CHECK_DIR"/*.go "$src/cmd/trigger-check/"
  (cd "$src" && run "trigger-check ($module)" "${GO_BUILD[@]}" -o "$dir/" ./cmd/trigger-check)
  rm -rf "$src"
}

ensure_trigger_check() {
  local dir=$TOOLCHAIN_DIR/trigger-check-$ARGO_ROLLOUTS_VERSION source_hash
  source_hash=$(cat "$TRIGGER_CHECK_DIR"/*.go | sha256sum)
  piece trigger-check "$ARGO_ROLLOUTS_VERSION" "$dir" \
    "github.com/argoproj/argo-rollouts@v$ARGO_ROLLOUTS_VERSION source=${source_hash:0:12}" build_trigger_check trigger-check
  add_bin_dir "$dir"
}

# --- Prometheus + promtool ------------------------------------------------------

PROMETHEUS_MODULE=github.com/prometheus/prometheus

# Both commands live in the one module (no replaces). remove_all_sd leaves only static
# scrape configs, which is all the tests use, and drops a third of the packages; without
# the builtinassets tag the web UI answers 500 while the HTTP API works.
build_prometheus() {
  local dir=$1 src=$SRC_DIR/prometheus-$PROMETHEUS_VERSION module=$PROMETHEUS_MODULE@v$PROMETHEUS_VERSION
  wrapper_module "$src" "$module"
  (cd "$src" && run "$module" "${GO_BUILD[@]}" -tags remove_all_sd -o "$dir/" \
    -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    "$PROMETHEUS_MODULE/cmd/prometheus" "$PROMETHEUS_MODULE/cmd/promtool")
}

ensure_prometheus() {
  local dir=$TOOLCHAIN_DIR/prometheus-$PROMETHEUS_VERSION
  piece prometheus "$PROMETHEUS_VERSION" "$dir" "$PROMETHEUS_MODULE@v$PROMETHEUS_VERSION tags=remove_all_sd" build_prometheus prometheus promtool
  add_bin_dir "$dir"
}

# --- Platform CRDs ---------------------------------------------------------------

PLATFORM_CRD_DIRS=()    # what env.sh exports as ROLLOUT_STACKS_PLATFORM_CRDS

# platform_crds NAME VERSION MODULE FILES: the CustomResourceDefinitions MODULE@vVERSION ships
# as FILES (a glob inside the module), copied from the module cache into
# $TOOLCHAIN_DIR/crds-NAME-VERSION/. Nothing is built; the stamp names the module and glob.
platform_crds() {
  local name=$1 version=$2 module=$3@v$2 files=$4 how=cached start=$SECONDS src file count=0
  local dir=$TOOLCHAIN_DIR/crds-$name-$version
  if [[ ! -f $dir/.stamp || $(<"$dir/.stamp") != "$module $files" ]]; then
    BUILD_LOG=$LOG_DIR/crds-$name-$version.log
    rm -rf "$dir" && mkdir -p "$dir" && : >"$BUILD_LOG"
    src=$(module_dir "$module")
    # shellcheck disable=SC2086 # $files is a glob to expand
    run "$module" cp "$src"/$files "$dir/"
    chmod u+w "$dir"/*.yaml
    printf '%s\n' "$module $files" >"$dir/.stamp"
    how=fetched
  fi
  for file in "$dir"/*.yaml; do
    grep -q '^kind: CustomResourceDefinition$' "$file" || die "$module: $file is not a CustomResourceDefinition"
    count=$((count + 1))
  done
  ((count > 0)) || die "$module: no CRDs match $files"
  report "crds-$name" "$version" "$how" "$((SECONDS - start))" "$dir ($count CRDs)"
  PLATFORM_CRD_DIRS+=("$dir")
}

# The CRDs of the platform's custom resources (AppProject, Application, ServiceMonitor,
# PrometheusRule, ClusterIssuer, ...), so the local cluster validates them with the real
# schemas while the add-ons themselves stay uninstalled (installVia: external).
ensure_platform_crds() {
  platform_crds argo-cd "$ARGO_CD_VERSION" github.com/argoproj/argo-cd/v3 'manifests/crds/*-crd.yaml'
  # Not prometheus-operator-crd-full: its AlertmanagerConfig v1beta1 needs the conversion webhook.
  platform_crds prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" \
    github.com/prometheus-operator/prometheus-operator 'example/prometheus-operator-crd/*.yaml'
  # deploy/crds: plain YAML with the same specs as the chart's templated crd-*.yaml.
  platform_crds cert-manager "$CERT_MANAGER_VERSION" github.com/cert-manager/cert-manager 'deploy/crds/*.yaml'
}

# --- env.sh ------------------------------------------------------------------------

write_env_file() {
  local dir
  {
    echo "# Generated by scripts/toolchain.sh: source it to use the rollout-stacks toolchain."
    for dir in "${BIN_DIRS[@]}"; do
      printf 'case ":$PATH:" in *:%q:*) ;; *) PATH=%q:$PATH ;; esac\n' "$dir" "$dir"
    done
    echo 'export PATH'
    printf 'export PULUMI_HOME=%q\n' "$PULUMI_HOME_DIR"
    echo 'export PULUMI_SKIP_UPDATE_CHECK=true'
    echo 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true'
    echo 'export PULUMI_DISABLE_REGISTRY_RESOLVE=true'
    printf 'export ROLLOUT_STACKS_ROLLOUTS_CRDS=%q\n' "$ARGO_ROLLOUTS_DIR/crds"
    # Colon-separated, like PATH: one directory of CRD manifests per project.
    printf 'export ROLLOUT_STACKS_PLATFORM_CRDS=%q\n' "$(IFS=:; echo "${PLATFORM_CRD_DIRS[*]}")"
    printf 'export ROLLOUT_STACKS_KWOK_STAGES=%q\n' "$KWOK_STAGES_DIR"
  } >"$TOOLCHAIN_ENV"
}

main() {
  command -v go >/dev/null || die "go not found on PATH (need Go >= 1.26)"
  command -v node >/dev/null || die "node not found on PATH"
  mkdir -p "$SRC_DIR" "$LOG_DIR" "$PULUMI_HOME_DIR"
  printf '%-30s %-9s %-9s %6s  %s\n' BINARY VERSION HOW BUILD PATH
  ensure_pulumi
  ensure_kubernetes_provider
  ensure_kubernetes
  ensure_etcd
  ensure_kwok
  ensure_kwok_stages
  ensure_argo_rollouts
  ensure_trigger_check
  ensure_prometheus
  ensure_platform_crds
  write_env_file
  log "built for ${TOTAL_SECONDS}s in this run; cache: $CACHE_DIR"
  log "use it with: source $TOOLCHAIN_ENV"
}

main "$@"; exit
