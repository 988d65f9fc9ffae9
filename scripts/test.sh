#!/usr/bin/env bash
# Runs every test: installs the local AWS peers, builds the solution, runs all test projects.
# The tests start their own private peers (SQS, SES v2, the SMS fixture, a PostgreSQL cluster) on free loopback
# ports, and stop them when they finish. The dashboard test drives Debian's headless Chromium; its screenshots are
# kept in .artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-peers.sh
scripts/install-postgres.sh
scripts/install-browser.sh

# A run that was killed cannot stop its PostgreSQL server: stop those whose run is gone, never a live run's.
scripts/stop-stale-postgres.sh

results=.artifacts/test-output.txt
mkdir -p .artifacts
status=0
# One test project at a time (-m:1): the rate tests measure send times, and two projects' peers and engines
# sharing two cores would measure the machine instead.
dotnet test Messaging.sln --nologo -m:1 2>&1 | tee "$results" || status=$?

# One closing line for the whole run, summed over the test projects.
awk '/(Passed|Failed)!  - Failed:/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
       projects++ }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s; if (projects == 0) exit 1 }' \
  FS='[ ,]+' "$results" || { echo "No test results were found in the output." >&2; exit 1; }
if [ "$status" -ne 0 ]; then echo "The build or a test run failed (exit code $status); see $results." >&2; fi
exit "$status"
