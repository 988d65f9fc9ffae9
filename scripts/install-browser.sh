#!/usr/bin/env bash
# Makes sure headless Chromium (Debian package chromium) is installed: the dashboard's browser test drives it with
# Playwright for .NET, pointed at /usr/bin/chromium (Playwright's own browser download is not used).
set -euo pipefail

if command -v chromium > /dev/null; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "Installing Chromium (Debian package chromium)..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core > /dev/null
command -v chromium > /dev/null || { echo "Chromium did not install." >&2; exit 1; }
