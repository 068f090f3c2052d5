# shellcheck shell=bash
# Puts a Pulumi CLI and a cluster in reach for local.sh and e2e.sh. Sourced after common.sh.
#
# A user's own `pulumi` on PATH and KUBECONFIG are used as they are, and nothing is built; otherwise
# the toolchain is built (or found in the cache) and the local kwok cluster is brought up. Either
# way the program is compiled ahead when its sources changed (compile_program).

# use_engine: exports PATH, PULUMI_* and KUBECONFIG for the rest of the caller.
use_engine() {
  if [[ -n ${KUBECONFIG:-} ]] && command -v pulumi >/dev/null 2>&1; then
    log "using $(command -v pulumi) ($(pulumi version)) and KUBECONFIG=$KUBECONFIG"
  else
    bash "$SCRIPTS_DIR/toolchain.sh" >&2
    # shellcheck source=/dev/null
    . "$TOOLCHAIN_ENV"
    if [[ -z ${KUBECONFIG:-} ]]; then
      bash "$SCRIPTS_DIR/cluster.sh" up >&2
      eval "$(bash "$SCRIPTS_DIR/cluster.sh" env)"
    fi
  fi
  # A local file backend unless the user chose one; its passphrase protects only local state.
  export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$CACHE_DIR/state}
  if [[ $PULUMI_BACKEND_URL == file://* ]]; then
    mkdir -p "${PULUMI_BACKEND_URL#file://}"
  fi
  export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-local-only-not-a-secret}
  export PULUMI_SKIP_UPDATE_CHECK=true KUBECONFIG
  compile_program
}

# compile_program: compiles the program and the bot into dist/ (npm run build) unless dist/ was
# compiled from exactly the sources here, so the engine starts them without compiling TypeScript.
compile_program() {
  node "$SCRIPTS_DIR/build.js" --if-stale >&2
}
