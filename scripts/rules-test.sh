#!/usr/bin/env bash
# npm run test:rules: the platform's rules through the evaluators that run them for real.
# - Alert rules (lib/alertRules.ts) through promtool: renders them as a stack with the config
#   defaults deploys them (test/rules/render.ts), checks the rule file, then runs every promtool
#   unit test in test/rules/*.test.yaml against it.
# - Notification trigger conditions (lib/notifications.ts) through trigger-check, the rollouts
#   controller's own expr evaluation (test/rules/*.test.ts, mocha).
# Both tools come from the toolchain, built (or found in the cache) as for the e2e suite. Any
# failure fails the run.
set -euo pipefail
# shellcheck source=lib/common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

RULES_TESTS=test/rules
WORK_DIR=

main() {
  bash "$SCRIPTS_DIR/toolchain.sh" >&2
  # shellcheck source=/dev/null
  . "$TOOLCHAIN_ENV"
  local tool
  for tool in promtool trigger-check; do
    command -v "$tool" >/dev/null || die "$tool is not on the PATH $TOOLCHAIN_ENV sets; run npm run toolchain and read its output"
  done
  cd "$SCRIPTS_DIR/.."

  local tests=()
  shopt -s nullglob
  tests=("$RULES_TESTS"/*.test.yaml)
  shopt -u nullglob
  ((${#tests[@]} > 0)) || die "no promtool tests in $RULES_TESTS/*.test.yaml"

  WORK_DIR=$(mktemp -d)
  trap 'rm -rf "$WORK_DIR"' EXIT
  # The tests name `rules.yaml`, which promtool resolves beside each test file.
  npx tsx "$RULES_TESTS/render.ts" "$WORK_DIR/rules.yaml"
  cp "${tests[@]}" "$WORK_DIR/"

  log "$(promtool --version 2>&1 | head -n 1)"
  log "promtool check rules: lib/alertRules.ts rendered with the config defaults"
  promtool check rules "$WORK_DIR/rules.yaml"
  log "promtool test rules: ${tests[*]}"
  (cd "$WORK_DIR" && promtool test rules "${tests[@]##*/}")
  log "notification triggers through $(command -v trigger-check)"
  TRIGGER_CHECK=$(command -v trigger-check) npx mocha --config "$RULES_TESTS/.mocharc.json"
  log "rules test passed: ${#tests[@]} promtool test files and the notification triggers"
}

main "$@"
