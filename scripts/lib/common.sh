# shellcheck shell=bash
# Shared by toolchain.sh and cluster.sh: pinned versions, cache layout, logging.
# Sourced, never executed; the caller owns `set -euo pipefail`.
# shellcheck disable=SC2034 # the variables are used by the scripts sourcing this

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/versions.env
. "$SCRIPTS_DIR/versions.env"

# Everything built or downloaded lives outside the repo so `git status` stays clean
# and several checkouts share one cache.
CACHE_DIR=${ROLLOUT_STACKS_CACHE:-$HOME/.cache/rollout-stacks}
TOOLCHAIN_DIR=$CACHE_DIR/toolchain
TOOLCHAIN_ENV=$TOOLCHAIN_DIR/env.sh
PULUMI_HOME_DIR=$CACHE_DIR/pulumi-home
CLUSTER_STATE_DIR=$CACHE_DIR/cluster
# The e2e suite's own file backend (scripts/e2e.sh), apart from `npm run local`'s.
E2E_STATE_DIR=$CACHE_DIR/e2e-state

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }
