#!/usr/bin/env bash
# Installs the local AWS peers (SQS, SES v2) from tools/local-aws/package-lock.json.
# Re-runs npm ci only when the lock file changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../tools/local-aws"

command -v node >/dev/null || { echo "Node.js 20+ is required (node not found on PATH)." >&2; exit 1; }
stamp=node_modules/.lock-installed
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "Installing the local AWS peers (npm ci in tools/local-aws)…"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
