#!/usr/bin/env bash
# Stops and removes the private PostgreSQL servers that earlier test or benchmark runs left behind when they were
# killed, and only those: a server folder is named messaging-pg-<owner pid>-<id>, and one whose owner still runs
# belongs to a run going on now (another test run, a benchmark) and is left alone. A folder without an owner in its
# name (an older layout) is removed only when its server is gone too.
set -euo pipefail

alive() { [ -n "$1" ] && [ -d "/proc/$1" ]; }

for folder in "${TMPDIR:-/tmp}"/messaging-pg-*; do
  [ -d "$folder" ] || continue
  name=${folder##*/messaging-pg-}
  owner=""
  [[ $name =~ ^([0-9]+)- ]] && owner=${BASH_REMATCH[1]}
  server=""
  [ -f "$folder/postmaster.pid" ] && server=$(head -1 "$folder/postmaster.pid" 2>/dev/null || true)
  if [ -n "$owner" ]; then
    alive "$owner" && continue
  elif alive "$server"; then
    continue
  fi
  if alive "$server"; then kill -9 "$server" 2>/dev/null || true; fi
  rm -rf "$folder"
done
