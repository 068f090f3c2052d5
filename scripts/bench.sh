#!/usr/bin/env bash
# npm run bench [-- mocks|restart|release|rollback|reap|many ...]: the mocks table, then the real-engine
# tables (restart, a release judged by a real Prometheus, an undo with and without rollbackWindow,
# pr reap's history reads, many PR environments one after another and at once) on the
# local cluster, built and brought up as for the e2e suite, unless BENCH_MOCKS_ONLY=1. Names select
# tables. State goes to a backend of its own.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/engine.sh
. "$SCRIPTS_DIR/lib/engine.sh"

cd "$SCRIPTS_DIR/.."
if [[ ${BENCH_MOCKS_ONLY:-0} == 1 ]]; then
  # Only the mocks, even when the caller's shell has a cluster and a backend in reach.
  exec npx tsx bench/run.ts mocks
fi
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$CACHE_DIR/bench-state}
use_engine
exec npx tsx bench/run.ts "$@"
