#!/usr/bin/env bash
# npm run local: the main job on the local default. Deploys the PR stack pr-1 (the whole service
# catalogue at :pr-1) with the real Pulumi engine on a local kwok cluster, then prints its URL and
# outputs. With your own `pulumi` and KUBECONFIG it uses those and builds nothing.
#
# Usage: bash scripts/local.sh [PR_NUMBER]
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/engine.sh
. "$SCRIPTS_DIR/lib/engine.sh"

pr=${1:-1}
[[ $pr =~ ^[1-9][0-9]*$ ]] || die "PR_NUMBER must be a positive whole number, got '$pr'"
repo=$(cd "$SCRIPTS_DIR/.." && pwd)

use_engine
cd "$repo"
[[ -d node_modules ]] || npm ci --no-audit --no-fund
pulumi stack select --create "pr-$pr"
pulumi config set --path pr.number "$pr"
pulumi up --yes --skip-preview
log "PR $pr is up at $(pulumi stack output url); its outputs:"
pulumi stack output --json
[[ $KUBECONFIG != "$CLUSTER_STATE_DIR"/* ]] || log "the local cluster keeps running: npm run cluster -- down stops it"
