#!/usr/bin/env bash
# npm run lint: actionlint over the GitHub workflows and the bot-setup action (with shellcheck on
# their run: scripts), then shellcheck over the project's own shell scripts. actionlint is built
# from its Go module into the cache on first use; shellcheck comes from the system
# (Debian: apt-get install shellcheck). Without it the lint fails instead of checking less.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ACTIONLINT_DIR=$CACHE_DIR/tools/actionlint-$ACTIONLINT_VERSION

# actionlint_bin: prints the path of actionlint $ACTIONLINT_VERSION, building it when missing.
actionlint_bin() {
  local bin=$ACTIONLINT_DIR/actionlint
  # The first line of `actionlint -version` is the version, e.g. v1.7.12.
  if [[ ! -x $bin || $("$bin" -version) != "v$ACTIONLINT_VERSION"$'\n'* ]]; then
    command -v go >/dev/null || die "go not found on PATH: it builds actionlint $ACTIONLINT_VERSION"
    log "building actionlint $ACTIONLINT_VERSION into $ACTIONLINT_DIR"
    mkdir -p "$ACTIONLINT_DIR"
    CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN=$ACTIONLINT_DIR \
      go install -trimpath "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2 ||
      die "go install github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION failed"
  fi
  printf '%s\n' "$bin"
}

main() {
  local actionlint shellcheck
  shellcheck=$(command -v shellcheck) ||
    die "shellcheck not found on PATH; install it (Debian: apt-get install shellcheck) and run again"
  actionlint=$(actionlint_bin)
  cd "$SCRIPTS_DIR/.."
  log "actionlint $ACTIONLINT_VERSION: .github/workflows/*.yml (run: scripts through $("$shellcheck" --version | sed -n 's/^version: //p'))"
  "$actionlint" -no-color -shellcheck "$shellcheck"
  log "shellcheck: scripts/ and .ci/run"
  # Warnings and errors; the info-level notes (functions called through `piece`, say) are noise here.
  "$shellcheck" --external-sources --severity=warning scripts/*.sh scripts/lib/*.sh .ci/run
  log "lint passed"
}

main "$@"
