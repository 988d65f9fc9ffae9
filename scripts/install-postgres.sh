#!/usr/bin/env bash
# Makes sure a PostgreSQL server (Debian package) is installed. The tests start their own private cluster from it,
# on a free loopback port in a temporary folder, so nothing here starts or configures a server.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "Installing PostgreSQL (Debian package postgresql)..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql > /dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || { echo "PostgreSQL did not install." >&2; exit 1; }
