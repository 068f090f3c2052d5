#!/usr/bin/env bash
# npm run bench: the mocks table always; the real-engine restart table on the local cluster (built
# and brought up as for the e2e suite) unless BENCH_MOCKS_ONLY=1. State goes to a backend of its own.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/engine.sh
. "$SCRIPTS_DIR/lib/engine.sh"

cd "$SCRIPTS_DIR/.."
if [[ ${BENCH_MOCKS_ONLY:-0} != 1 ]]; then
  export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$CACHE_DIR/bench-state}
  use_engine
fi
exec npx tsx bench/run.ts
