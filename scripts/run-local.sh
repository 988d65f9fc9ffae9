#!/usr/bin/env bash
# Runs the engine on this machine with no AWS account: starts the local SQS, SES v2 and SMS peers on loopback, writes
# what it configured to data/local.env (which every `scripts/engine` command in this clone reads), creates the queues
# (`engine init`), stores the sample templates, runs the engine against the peers (embedded SQLite storage under
# data/), sends a few sample requests (`engine send`) and prints where to look. Ctrl-C stops the engine, then the peers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SQS_PORT=${SQS_PORT:-9324}
SES_PORT=${SES_PORT:-8005}
SMS_PORT=${SMS_PORT:-8006}
ENGINE_PORT=${ENGINE_PORT:-8080}
# Where the database, the operator signing key and local.env live (the tests give a folder of their own).
data=${ENGINE_DATA_DIR:-$root/data}

# A port in use would otherwise surface as a peer's raw EADDRINUSE some seconds later.
for port_variable in SQS_PORT SES_PORT SMS_PORT ENGINE_PORT; do
  port=${!port_variable}
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use (another run-local.sh?). Stop what listens there, or choose another port: $port_variable=... $0" >&2
    exit 1
  fi
done

scripts/install-peers.sh
dotnet build tools/SmsPeer -c Release --nologo -v quiet "-clp:NoSummary;ErrorsOnly"

engine_pid=""
peer_pids=()
# The engine stops first, while the peers still answer: stopping them together made every stop log lost connections.
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$engine_pid" ]; then kill -TERM "$engine_pid" 2>/dev/null || true; wait "$engine_pid" 2>/dev/null || true; fi
  for pid in "${peer_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mkdir -p "$data"
# The peers run in sessions of their own, so a Ctrl-C in this terminal reaches the engine and this script, not them.
peers_log=$data/local-peers.log
setsid node tools/local-aws/peers.mjs --sqs-port "$SQS_PORT" --ses-port "$SES_PORT" >"$peers_log" 2>&1 &
peer_pids+=($!)
for _ in $(seq 1 100); do grep -q '"sqs"' "$peers_log" 2>/dev/null && break; sleep 0.1; done
grep -q '"sqs"' "$peers_log" || { echo "The local AWS peers did not start:" >&2; cat "$peers_log" >&2; exit 1; }

sqs="http://127.0.0.1:$SQS_PORT"
feedback_queue=${Engine__Ingest__FeedbackQueue:-messaging-feedback}
sms_log=$data/local-sms-peer.log
# The SMS peer checks every call's signature with the same dummy key the engine signs with, and publishes a text's
# events (delivered, a STOP reply) to the feedback queue when asked on its page.
setsid dotnet tools/SmsPeer/bin/Release/net10.0/SmsPeer.dll --port "$SMS_PORT" --access-key local --secret-key local --region us-east-1 \
  --sqs-endpoint "$sqs" --feedback-queue "$feedback_queue" >"$sms_log" 2>&1 &
peer_pids+=($!)
for _ in $(seq 1 150); do grep -q '"sms"' "$sms_log" 2>/dev/null && break; sleep 0.1; done
grep -q '"sms"' "$sms_log" || { echo "The local SMS peer did not start:" >&2; cat "$sms_log" >&2; exit 1; }

# The operator API signs tokens with a secret kept in the data folder (made once).
[ -s "$data/operator-signing-key" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$data/operator-signing-key"

# Everything this run configured, in one file: `scripts/engine` reads it in any terminal of this clone (a variable
# set in the environment still wins), and this script exports it for the engine it starts.
local_env="$data/local.env"
cat >"$local_env" <<ENV
# Written by scripts/run-local.sh: the local peers and the engine it runs. Read by every 'scripts/engine' command here.
# The peers accept these dummy keys; the engine signs every call as it would against AWS.
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
AWS_REGION=us-east-1
AWS_ENDPOINT_URL_SQS=$sqs
AWS_ENDPOINT_URL_SESV2=http://127.0.0.1:$SES_PORT
AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2=http://127.0.0.1:$SMS_PORT
Engine__Persistence__SqlitePath=$data/engine.db
Engine__Ingest__FeedbackQueue=$feedback_queue
Engine__Sending__DefaultEmailFrom=${Engine__Sending__DefaultEmailFrom:-shop@example.com}
Engine__Ingest__WaitTime=${Engine__Ingest__WaitTime:-00:00:01}
Host__Auth__SigningKeyFile=$data/operator-signing-key
Host__Auth__AnonymousReadiness=true
ENGINE_API_URL=http://127.0.0.1:$ENGINE_PORT
ENV
# The SQS peer answers a long poll only when it has ten messages or the wait ends: the short wait above keeps it lively.
set -a
# shellcheck source=/dev/null
. "$local_env"
set +a

scripts/engine init
# The sample templates (config/templates): a push stores each changed one as a new version, so this is safe to repeat.
scripts/engine templates push config/templates
scripts/engine run --urls "$ENGINE_API_URL" &
engine_pid=$!

ready=""
for _ in $(seq 1 150); do
  if ready=$(curl -fsS "$ENGINE_API_URL/health/ready" 2>/dev/null); then break; fi
  kill -0 "$engine_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || { echo "The engine did not become ready; see its log above." >&2; exit 1; }

# A few sample requests, to see the whole loop: queue → engine → SES and SMS peers. The journal in data/ outlives a
# run, so each run's samples get ids of their own (a repeated id is recognised and not sent again).
run_id=$(date +%Y%m%d%H%M%S)
order_data='{"name":"Ana","orderId":"A-1234","shippedAt":"2026-11-22T15:30:00Z","currency":"EUR","total":114.90,
  "items":[{"title":"Rain jacket","quantity":1,"price":89.90},{"title":"Wool socks","quantity":2,"price":12.50}]}'
scripts/engine send --to ana@example.com --template order-shipped --data "$order_data" --message-id "sample-$run_id-order-1234-shipped"
scripts/engine send --to bo@example.com --template welcome --data '{"name":"Bo"}' --message-id "sample-$run_id-welcome-bo"
scripts/engine send --to chloe@example.com --subject "Fall sale" --text "20% off this week." --category marketing \
  --message-id "sample-$run_id-fall-sale-chloe"
# The same messageId again: the engine recognises it and sends nothing.
scripts/engine send --to ana@example.com --template order-shipped --data "$order_data" --message-id "sample-$run_id-order-1234-shipped"
scripts/engine send --channel sms --to +15555550123 --template login-code --data '{"code":"482913","minutes":10}' \
  --message-id "sample-$run_id-login-code-sms"

operator_token=$(scripts/engine token --role operator --subject local-operator --ttl 12:00:00)

cat <<TXT

Engine is up, the sample templates are stored, and five sample requests are queued (one is a duplicate: three emails
and one SMS arrive).
  engine health      $ENGINE_API_URL/health/ready   $ready
  SQS (local peer)   $sqs
  SES (local peer)   http://127.0.0.1:$SES_PORT   (web UI: sent mail appears here)
  SMS (local peer)   http://127.0.0.1:$SMS_PORT   (page of texts received, with buttons that send their events; JSON at /store)
  settings           $local_env   (read by every scripts/engine command in this clone; environment variables win)
$(sed -e '/^#/d' -e 's/^/                       /' "$local_env")
  send more          scripts/engine send --to someone@example.com --subject Hi --text Hello
  templated          scripts/engine send --to someone@example.com --template welcome --data '{"name":"Sam"}'
  SMS                scripts/engine send --channel sms --to +15555550123 --text "Hello"
  follow a message   scripts/engine message show sample-$run_id-welcome-bo
  templates          scripts/engine templates list | preview welcome | push config/templates
  operator API       curl -H "Authorization: Bearer \$TOKEN" $ENGINE_API_URL/recipients/email/ana@example.com
                     (OpenAPI description: $ENGINE_API_URL/openapi/v1.json; a new token: scripts/engine token --role operator)
  TOKEN (operator, 12 h)  $operator_token
Press Ctrl-C to stop.
TXT
wait "$engine_pid"
