#!/usr/bin/env bash
# The end-to-end comparison in one command: the engine beside the usual Node worker (sqs-consumer + AWS SDK v3,
# bench/node-peer), both draining the same requests from the local SQS peer into the same provider simulator.
# Installs what it needs (the local peers, the Node worker's packages from its lock file, PostgreSQL), builds in
# Release and prints one markdown table; per-run notes go to stderr.
#
#   ./bench/run.sh                                   scenarios a,b,c,e on SQLite and PostgreSQL (about 25 minutes)
#   ./bench/run.sh --scenarios d --stores sqlite     a million distinct recipients (memory with passivation)
#   ./bench/run.sh --scale 0.1                       a tenth of every scenario's requests, for a quick look
#
# Other options: --peer-processes N (default: one per core), --peer-consumers N (default 20 per process),
# --trace DIR (each engine run writes its CPU samples to DIR; read them with `dotnet-trace report FILE topN`),
# --engine-env NAME=VALUE,... (extra environment for the engine only, to try a runtime setting), --without-peer.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-peers.sh
scripts/install-postgres.sh

peer=bench/node-peer
stamp=$peer/node_modules/.lock-installed
if [ ! -f "$stamp" ] || ! cmp -s "$peer/package-lock.json" "$stamp"; then
  echo "Installing the Node peer (npm ci in $peer)…"
  (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$peer/package-lock.json" "$stamp"
fi

# A run that was killed cannot stop its PostgreSQL server: stop those whose run is gone, never a live run's.
scripts/stop-stale-postgres.sh

dotnet build bench/Engine.Load -c Release --nologo -v quiet
exec dotnet run -c Release --no-build --project bench/Engine.Load -- compare "$@"
