#!/usr/bin/env bash
# Runs the engine on this machine with no AWS account: starts the local SQS and SES v2 peers on
# loopback, creates the queues (`engine init`), runs the engine against them (embedded SQLite storage
# under data/), sends a few sample requests (`engine send`) and prints where to look. Ctrl-C stops everything.
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

# The operator API signs tokens with a secret kept in data/ (made once); readiness answers without a token here.
[ -s data/operator-signing-key ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > data/operator-signing-key
export Host__Auth__SigningKeyFile="$PWD/data/operator-signing-key" Host__Auth__AnonymousReadiness=true

# The peer accepts any sender; a real account needs a verified identity here.
export Engine__Sending__DefaultEmailFrom="${Engine__Sending__DefaultEmailFrom:-shop@example.com}"
# The SQS peer answers a long poll only when it has ten messages or the wait ends: a short wait keeps it lively.
export Engine__Ingest__WaitTime="${Engine__Ingest__WaitTime:-00:00:01}"

scripts/engine init
# The sample templates (config/templates): a push stores each changed one as a new version, so this is safe to repeat.
scripts/engine templates push config/templates
scripts/engine run --urls "http://127.0.0.1:$ENGINE_PORT" &
pids+=($!)

ready=""
for _ in $(seq 1 150); do
  if ready=$(curl -fsS "http://127.0.0.1:$ENGINE_PORT/health/ready" 2>/dev/null); then break; fi
  sleep 0.2
done
[ -n "$ready" ] || { echo "The engine did not become ready; see its log above." >&2; exit 1; }

# A few sample requests, to see the whole loop: queue → engine → SES peer. The journal in data/ outlives a run,
# so each run's samples get ids of their own (a repeated id is recognised and not sent again).
run_id=$(date +%Y%m%d%H%M%S)
order_data='{"name":"Ana","orderId":"A-1234","shippedAt":"2026-11-22T15:30:00Z","currency":"EUR","total":114.90,
  "items":[{"title":"Rain jacket","quantity":1,"price":89.90},{"title":"Wool socks","quantity":2,"price":12.50}]}'
scripts/engine send --to ana@example.com --template order-shipped --data "$order_data" --message-id "sample-$run_id-order-1234-shipped"
scripts/engine send --to bo@example.com --template welcome --data '{"name":"Bo"}' --message-id "sample-$run_id-welcome-bo"
scripts/engine send --to chloe@example.com --subject "Fall sale" --text "20% off this week." --category marketing \
  --message-id "sample-$run_id-fall-sale-chloe"
# The same messageId again: the engine recognises it and sends nothing.
scripts/engine send --to ana@example.com --template order-shipped --data "$order_data" --message-id "sample-$run_id-order-1234-shipped"

operator_token=$(scripts/engine token --role operator --subject local-operator --ttl 12:00:00)

cat <<TXT

Engine is up, the sample templates are stored, and four sample requests are queued (two use templates; one is a
duplicate: three emails arrive).
  engine health      http://127.0.0.1:$ENGINE_PORT/health/ready   $ready
  SQS (local peer)   http://127.0.0.1:$SQS_PORT
  SES (local peer)   http://127.0.0.1:$SES_PORT   (web UI: sent mail appears here)
  send more          scripts/engine send --to someone@example.com --subject Hi --text Hello
  templated          scripts/engine send --to someone@example.com --template welcome --data '{"name":"Sam"}'
  templates          scripts/engine templates list | preview welcome | push config/templates
  operator API       curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$ENGINE_PORT/recipients/email/ana@example.com
                     (OpenAPI description: http://127.0.0.1:$ENGINE_PORT/openapi/v1.json)
  TOKEN (operator, 12 h)  $operator_token
Press Ctrl-C to stop.
TXT
wait "${pids[@]}"
