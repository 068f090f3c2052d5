#!/usr/bin/env bash
# A local fake Kubernetes cluster for the real engine: kwok's binary runtime
# running the control plane built by toolchain.sh (nothing is downloaded), a
# few fake nodes on which kwok's default stages make pods Running/Ready, the
# Argo Rollouts CRDs, and the rollouts controller running out of cluster. The
# CRDs of ArgoCD, prometheus-operator and cert-manager are applied too (their
# controllers are not run), so the platform's custom resources meet the real
# schemas with every add-on's installVia: external.
# All state lives in $ROLLOUT_STACKS_CACHE/cluster/; ~/.kube/config is never touched.
#
# Usage: bash scripts/cluster.sh up|down|env|status
#   up      create (or restart) the cluster; a no-op when everything already runs
#   down    stop the controller and delete the cluster and its state
#   env     print `export KUBECONFIG=...` for eval
#   status  show what runs (exit status 1 when the cluster does not exist)
set -euo pipefail
# shellcheck source=lib/common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

CLUSTER_NAME=rollout-stacks
NODE_COUNT=4
# Room for many PR environments at once (the bench's 30 of the full catalogue, 12 Services and
# pods each): the API server's default Service range is a /24, full at 20 of them; 4 nodes hold
# 440 pods.
SERVICE_CLUSTER_IP_RANGE=10.96.0.0/16
ROLLOUTS_NAMESPACE=argo-rollouts
# kwokctl keeps its clusters (pki, etcd data, pids, logs) under KWOK_WORKDIR.
export KWOK_WORKDIR=$CLUSTER_STATE_DIR/kwok
KUBECONFIG_PATH=$KWOK_WORKDIR/clusters/$CLUSTER_NAME/kubeconfig.yaml
KWOKCTL_LOG=$CLUSTER_STATE_DIR/kwokctl.log
CONTROLLER_PID_FILE=$CLUSTER_STATE_DIR/rollouts-controller.pid
CONTROLLER_LOG=$CLUSTER_STATE_DIR/rollouts-controller.log
# The controller's metrics and healthz servers, moved off the common 8090/8080.
CONTROLLER_METRICS_PORT=${ROLLOUT_STACKS_CONTROLLER_METRICS_PORT:-18090}
CONTROLLER_HEALTHZ_PORT=${ROLLOUT_STACKS_CONTROLLER_HEALTHZ_PORT:-18080}

load_toolchain() {
  [[ -f $TOOLCHAIN_ENV ]] || die "no toolchain at $TOOLCHAIN_ENV: run bash scripts/toolchain.sh first"
  # shellcheck source=/dev/null
  . "$TOOLCHAIN_ENV"
  local bin
  for bin in kwokctl kwok etcd kube-apiserver kube-controller-manager kube-scheduler kubectl rollouts-controller; do
    command -v "$bin" >/dev/null || die "$bin not found: run bash scripts/toolchain.sh"
  done
}

kube() { kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# kwokctl logs JSON lines: keep them in a file, show its tail if it fails.
kwokctl_logged() {
  if ! kwokctl "$@" >>"$KWOKCTL_LOG" 2>&1; then
    tail -n 20 "$KWOKCTL_LOG" >&2
    die "kwokctl $1 $2 failed (log: $KWOKCTL_LOG)"
  fi
}

# Not `| grep -qx` under pipefail: grep exits at the first match and kwokctl may die of SIGPIPE.
cluster_exists() {
  local clusters
  clusters=$(kwokctl get clusters 2>/dev/null) || return 1
  [[ $'\n'$clusters$'\n' == *$'\n'"$CLUSTER_NAME"$'\n'* ]]
}

api_ready() { [[ -f $KUBECONFIG_PATH ]] && kube get --raw /readyz --request-timeout=5s >/dev/null 2>&1; }

# The Stages kwok runs: kwokctl's defaults from the toolchain, their pod-ready narrowed to images
# that do not fail on purpose, and scripts/kwok/failing-pods.yaml. kwok reads them at start, so
# the file's digest is kept beside it: a cluster made with other Stages is made again.
STAGES_FILE=$CLUSTER_STATE_DIR/kwok-stages.yaml
STAGES_DIGEST_FILE=$CLUSTER_STATE_DIR/kwok-stages.sha256
FAILING_IMAGES='-kwok-(missing|crashing)$'

write_stages() {
  local defaults=${ROLLOUT_STACKS_KWOK_STAGES:?not set by the toolchain env: run bash scripts/toolchain.sh} file
  {
    for file in "$defaults"/*.yaml; do
      if [[ ${file##*/} == pod-ready.yaml ]]; then
        # One more requirement under the stage's matchExpressions (indented as its siblings).
        awk -v expr="[.spec.containers.[].image | test(\"$FAILING_IMAGES\")] | any" '
          { print }
          /^    matchExpressions:$/ && !done {
            print "    - key: '\''" expr "'\''"; print "      operator: '\''NotIn'\''"; print "      values:"; print "      - '\''true'\''"; done = 1
          }' "$file"
      else
        cat "$file"
      fi
      printf -- '---\n'
    done
    cat "$SCRIPTS_DIR/kwok/failing-pods.yaml"
  } >"$STAGES_FILE.new"
  grep -qF -e "$FAILING_IMAGES" "$STAGES_FILE.new" || die "could not narrow kwok's pod-ready stage in $defaults/pod-ready.yaml"
  mv "$STAGES_FILE.new" "$STAGES_FILE"
}

stages_digest() { sha256sum "$STAGES_FILE" | cut -d' ' -f1; }

# Every --*-binary points at a local file: the defaults would download release
# binaries. --kubeconfig "" keeps kwokctl from adding a context to ~/.kube/config.
create_cluster() {
  log "creating kwok cluster $CLUSTER_NAME"
  kwokctl_logged create cluster --name "$CLUSTER_NAME" --runtime binary --kubeconfig "" \
    --config "$STAGES_FILE" \
    --etcd-binary "$(command -v etcd)" \
    --kube-apiserver-binary "$(command -v kube-apiserver)" \
    --kube-controller-manager-binary "$(command -v kube-controller-manager)" \
    --kube-scheduler-binary "$(command -v kube-scheduler)" \
    --kwok-controller-binary "$(command -v kwok)" \
    --extra-args "kube-apiserver=service-cluster-ip-range=$SERVICE_CLUSTER_IP_RANGE" \
    --wait 120s
  stages_digest >"$STAGES_DIGEST_FILE"
}

# kwokctl records the components' pids; after a reboot they are stale and
# `start` brings the same cluster (same etcd data) back.
start_cluster() {
  log "starting stopped kwok cluster $CLUSTER_NAME"
  kwokctl_logged start cluster --name "$CLUSTER_NAME" --wait 120s
}

wait_for() {
  local what=$1 tries=$2; shift 2
  until "$@"; do
    ((--tries > 0)) || die "timed out waiting for $what"
    sleep 1
  done
}

process_gone() { ! kill -0 "$1" 2>/dev/null; }

# Server-side: several of these CRDs exceed the annotation limit of a client-side
# apply. Re-applying unchanged manifests changes nothing.
apply_crds() {
  local dir dirs files=(-f "$ROLLOUT_STACKS_ROLLOUTS_CRDS")
  IFS=: read -ra dirs <<<"${ROLLOUT_STACKS_PLATFORM_CRDS:?not set by the toolchain env: run bash scripts/toolchain.sh}"
  for dir in "${dirs[@]}"; do files+=(-f "$dir"); done
  kube apply --server-side --force-conflicts "${files[@]}" >/dev/null
  wait_for "the CRDs to be established" 60 crds_established "${files[@]}"
}

# kubectl wait fails at once, instead of waiting, on a CRD without conditions yet.
crds_established() { kube wait --for condition=Established --timeout 5s "$@" >/dev/null 2>&1; }

controller_pid() {
  local pid
  [[ -f $CONTROLLER_PID_FILE ]] || return 1
  pid=$(<"$CONTROLLER_PID_FILE")
  # Not `comm`: the kernel truncates it to 15 characters.
  [[ $(ps -o args= -p "$pid" 2>/dev/null) == rollouts-controller\ * ]] || return 1
  printf '%s\n' "$pid"
}

controller_healthy() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "http://127.0.0.1:$CONTROLLER_HEALTHZ_PORT/healthz"
}

# Out of cluster: setsid detaches it from the calling shell, so it outlives `up`.
# Leader election is off (one replica); POD_NAMESPACE is where it looks for its
# ConfigMaps.
start_controller() {
  log "starting rollouts-controller (log: $CONTROLLER_LOG)"
  POD_NAMESPACE=$ROLLOUTS_NAMESPACE setsid rollouts-controller \
    --kubeconfig "$KUBECONFIG_PATH" --leader-elect=false \
    --metricsPort "$CONTROLLER_METRICS_PORT" --healthzPort "$CONTROLLER_HEALTHZ_PORT" \
    >>"$CONTROLLER_LOG" 2>&1 </dev/null &
  echo $! >"$CONTROLLER_PID_FILE"
  wait_for "rollouts-controller healthz on :$CONTROLLER_HEALTHZ_PORT (see $CONTROLLER_LOG)" 60 controller_healthy
}

stop_controller() {
  local pid
  if pid=$(controller_pid); then
    log "stopping rollouts-controller ($pid)"
    kill "$pid"
    wait_for "rollouts-controller $pid to exit" 30 process_gone "$pid"
  fi
  rm -f "$CONTROLLER_PID_FILE"
}

# The components' pids as kwokctl recorded them (files without a final newline).
component_pids() {
  local file
  for file in "$KWOK_WORKDIR/clusters/$CLUSTER_NAME"/pids/*.pid; do
    if [[ -f $file ]]; then printf '%s\n' "$(<"$file")"; fi
  done
}

# kwokctl only signals the components; wait until they have really exited.
# (`--kubeconfig ""`, accepted by create, is an error for delete: name the
# cluster's own kubeconfig, which is deleted with it.)
delete_cluster() {
  local pid pids
  pids=$(component_pids)
  log "deleting kwok cluster $CLUSTER_NAME"
  kwokctl_logged delete cluster --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG_PATH"
  for pid in $pids; do
    wait_for "cluster component $pid to exit" 60 process_gone "$pid"
  done
}

cmd_up() {
  load_toolchain
  mkdir -p "$CLUSTER_STATE_DIR"
  write_stages
  if cluster_exists && [[ ! -f $STAGES_DIGEST_FILE || $(<"$STAGES_DIGEST_FILE") != "$(stages_digest)" ]]; then
    log "the kwok Stages changed since $CLUSTER_NAME was made: making it again"
    stop_controller
    delete_cluster
  fi
  if ! cluster_exists; then
    create_cluster
  elif ! api_ready; then
    start_cluster
  fi
  wait_for "kube-apiserver of $CLUSTER_NAME" 60 api_ready
  kwokctl_logged scale node --name "$CLUSTER_NAME" --replicas "$NODE_COUNT"
  apply_crds
  # The controller's home, as in a real install: it reads its ConfigMaps there.
  kube create namespace "$ROLLOUTS_NAMESPACE" --dry-run=client -o yaml | kube apply -f - >/dev/null
  controller_pid >/dev/null || start_controller
  log "cluster $CLUSTER_NAME is up; kubeconfig: $KUBECONFIG_PATH"
  printf '%s\n' "$KUBECONFIG_PATH"
}

cmd_down() {
  load_toolchain
  stop_controller
  if cluster_exists; then
    delete_cluster
  fi
  rm -rf "$CLUSTER_STATE_DIR"
}

cmd_env() { printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_PATH"; }

cmd_status() {
  load_toolchain
  if ! cluster_exists; then
    echo "cluster $CLUSTER_NAME: absent"
    return 1
  fi
  if api_ready; then
    echo "cluster $CLUSTER_NAME: running ($(kube version -o json | node -e \
      'console.log(JSON.parse(require("fs").readFileSync(0)).serverVersion.gitVersion)'))"
    kube get nodes
  else
    echo "cluster $CLUSTER_NAME: stopped"
  fi
  local pid
  if pid=$(controller_pid); then
    echo "rollouts-controller: running (pid $pid, log $CONTROLLER_LOG)"
  else
    echo "rollouts-controller: not running"
  fi
  echo "kubeconfig: $KUBECONFIG_PATH"
}

case ${1:-} in
  up | down | env | status) "cmd_$1" ;;
  *) die "usage: bash scripts/cluster.sh up|down|env|status" ;;
esac
