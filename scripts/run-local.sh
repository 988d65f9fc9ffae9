#!/usr/bin/env bash
# Runs the engine on this machine with no AWS account: starts the local SQS and SES v2 peers on
# loopback, then the engine host against them (embedded storage under data/), and prints the URLs.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

SQS_PORT=${SQS_PORT:-9324}
SES_PORT=${SES_PORT:-8005}
ENGINE_PORT=${ENGINE_PORT:-8080}

scripts/install-peers.sh

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

mkdir -p .artifacts data
peers_log=.artifacts/local-peers.log
node tools/local-aws/peers.mjs --sqs-port "$SQS_PORT" --ses-port "$SES_PORT" >"$peers_log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '"sqs"' "$peers_log" 2>/dev/null && break; sleep 0.1; done
grep -q '"sqs"' "$peers_log" || { echo "The local AWS peers did not start:" >&2; cat "$peers_log" >&2; exit 1; }

# The peers accept any key; the engine signs every call as it would against AWS.
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$SQS_PORT" AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$SES_PORT"
# The embedded SQLite journal lives in the repository's data/ folder (ignored by git), whatever folder the host runs in.
export Engine__Persistence__SqlitePath="$PWD/data/engine.db"

dotnet build src/Engine.Host -c Release --nologo -v quiet
dotnet run --project src/Engine.Host -c Release --no-build -- --urls "http://127.0.0.1:$ENGINE_PORT" &
pids+=($!)

ready=""
for _ in $(seq 1 150); do
  if ready=$(curl -fsS "http://127.0.0.1:$ENGINE_PORT/health/ready" 2>/dev/null); then break; fi
  sleep 0.2
done
[ -n "$ready" ] || { echo "The engine did not become ready; see its log above." >&2; exit 1; }

cat <<TXT

Engine is up.
  engine health      http://127.0.0.1:$ENGINE_PORT/health/ready   $ready
  SQS (local peer)   http://127.0.0.1:$SQS_PORT
  SES (local peer)   http://127.0.0.1:$SES_PORT   (web UI: sent mail appears here)
Press Ctrl-C to stop.
TXT
wait "${pids[@]}"
