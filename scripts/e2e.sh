#!/usr/bin/env bash
# npm run test:e2e: the end-to-end suite on the real engine (test/e2e). Builds or finds the
# toolchain, brings up the local cluster unless KUBECONFIG names one, and keeps the suite's state
# in a backend of its own so it never touches the stacks of `npm run local`.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/engine.sh
. "$SCRIPTS_DIR/lib/engine.sh"

export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$E2E_STATE_DIR}
use_engine
cd "$SCRIPTS_DIR/.."
exec npx mocha --config test/e2e/.mocharc.json "$@"
