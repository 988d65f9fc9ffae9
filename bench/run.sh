#!/usr/bin/env bash
# The end-to-end comparison in one command: the engine beside the usual Node worker (sqs-consumer + AWS SDK v3,
# bench/node-peer), both draining the same requests from the local SQS peer into the same provider simulator.
# Installs what it needs (the local peers, the Node worker's packages from its lock file, PostgreSQL), builds in
# Release, publishes the engine host (ReadyToRun code, as deployed) and prints one markdown table; per-run notes go to
# stderr.
#
#   ./bench/run.sh                                   scenarios a,b,c,e on SQLite and PostgreSQL (about 25 minutes)
#   ./bench/run.sh --scenarios d --stores sqlite     a million distinct recipients (memory with passivation)
#   ./bench/run.sh --scale 0.1                       a tenth of every scenario's requests, for a quick look
#
# Other options: --peer-processes N (default: one per core), --peer-consumers N (default 20 per process),
# --trace DIR (each engine run writes its CPU samples to DIR; read them with `dotnet-trace report FILE topN`),
# --repeat N (each scenario's runners take turns N times, then a line gives each one's median CPU per 1,000 and the
# engine's ratio to the peer's: one build's runs spread by a quarter on a shared machine),
# --engine-env NAME=VALUE,... (extra environment for the engine only, to try a runtime setting), --without-peer,
# --engine-host DLL (the engine to run; default: the host published with ReadyToRun code to .artifacts/engine-host, as
# it is deployed; bench/Engine.Load/bin/Release/net10.0/Engine.Host.dll is the plain build), --pin (below).
#
#   ./bench/run.sh --pin --scenarios a --stores sqlite
#
# --pin gives the runner under test (the engine, or the Node peer's processes) cores of its own and keeps the harness
# (provider simulator, producer) and the SQS peer on the others, with taskset: of the N cores this script may use,
# the upper half (rounded down, at least one) go to the runner and the rest to everything else — on 2 cores, the
# runner on core 1 and the rest on core 0. The Node peer then runs one process per runner core. Without it, everything
# shares every core, and the peers' work, which grows with the runner's speed, is taken from the runner's
# (docs/benchmarks.md).
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
# The engine runs as it is deployed: published, with ReadyToRun code (src/Engine.Host/Engine.Host.csproj).
engine_host=.artifacts/engine-host
dotnet publish src/Engine.Host -c Release -o "$engine_host" --nologo -v quiet

args=()
pin=false
for arg in "$@"; do
  if [ "$arg" = --pin ]; then pin=true; else args+=("$arg"); fi
done
if ! $pin; then
  exec dotnet run -c Release --no-build --project bench/Engine.Load -- compare "${args[@]}" --engine-host "$engine_host/Engine.Host.dll"
fi

# The CPUs this script may use (its Cpus_allowed_list, e.g. "0-3" or "0,2-3"), one per element.
cpus=()
IFS=, read -ra ranges <<< "$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)"
for range in "${ranges[@]}"; do
  for ((cpu = ${range%-*}; cpu <= ${range#*-}; cpu++)); do cpus+=("$cpu"); done
done
if [ "${#cpus[@]}" -lt 2 ]; then
  echo "--pin needs at least 2 cores; this script may use ${#cpus[@]}." >&2
  exit 2
fi
runner_count=$(( ${#cpus[@]} / 2 ))
others=$(IFS=,; echo "${cpus[*]:0:${#cpus[@]}-runner_count}")
runner=$(IFS=,; echo "${cpus[*]: -runner_count}")
echo "Pinned: the runner on CPU $runner; the harness, the provider simulator and the SQS peer on CPU $others." >&2
exec taskset -c "$others" dotnet run -c Release --no-build --project bench/Engine.Load -- compare --runner-cores "$runner" "${args[@]}" --engine-host "$engine_host/Engine.Host.dll"
