#!/usr/bin/env bash
# The unit suite as a Pulumi and GitHub user runs it: with the variables such a shell exports set
# to plausible values (a passphrase, a backend, a token, a kubeconfig, another repository), so a
# test that reads the caller's environment instead of setting its own fails here, not on a laptop.
# Every path points into a temporary directory; no value reaches anything real: the API URL and
# the kubeconfig's server are closed loopback ports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

shell_home=$(mktemp -d "${TMPDIR:-/tmp}/rollout-user-shell.XXXXXX")
trap 'rm -rf "$shell_home"' EXIT
printf 'user-shell-passphrase\n' >"$shell_home/passphrase"
cat >"$shell_home/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters:
  - name: users-cluster
    cluster: { server: "https://127.0.0.1:9" }
users:
  - name: user
    user: { token: user-shell-token }
contexts:
  - name: users-context
    context: { cluster: users-cluster, user: user, namespace: users-namespace }
current-context: users-context
EOF

export PULUMI_CONFIG_PASSPHRASE=user-shell-passphrase
export PULUMI_CONFIG_PASSPHRASE_FILE=$shell_home/passphrase
export PULUMI_BACKEND_URL=file://$shell_home/pulumi-state
export PULUMI_ACCESS_TOKEN=pul-0000000000000000000000000000000000000000
export PULUMI_HOME=$shell_home/pulumi-home
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_K8S_AWAIT_ALL=true
export KUBECONFIG=$shell_home/kubeconfig
export GITHUB_TOKEN=ghp_user0shell0token000000000000000000000
export GH_TOKEN=gho_user0shell0token000000000000000000000
export GITHUB_REPOSITORY=someone-else/another-repo
export GITHUB_API_URL=http://127.0.0.1:9
export ROLLOUT_BOT_SECRETS_PROVIDER=awskms://alias/users-key
export ROLLOUT_STACKS_CACHE=$shell_home/cache
export ROLLOUT_STACKS_PROGRAM=sources
export ROLLOUT_STACKS_DEFER_SDK_MODULES=false

printf '%s: npm test with a Pulumi and GitHub user'"'"'s variables exported (HOME stays %s)\n' "${0##*/}" "$HOME" >&2
npm test
