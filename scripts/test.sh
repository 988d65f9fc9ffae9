#!/usr/bin/env bash
# Runs every test: installs the local AWS peers, builds the solution, runs all test projects.
# The tests start their own private peers (SQS, SES v2, the SMS fixture) on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-peers.sh

results=.artifacts/test-output.txt
mkdir -p .artifacts
status=0
dotnet test Messaging.sln --nologo 2>&1 | tee "$results" || status=$?

# One closing line for the whole run, summed over the test projects.
awk '/(Passed|Failed)!  - Failed:/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
       projects++ }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s; if (projects == 0) exit 1 }' \
  FS='[ ,]+' "$results" || { echo "No test results were found in the output." >&2; exit 1; }
exit "$status"
