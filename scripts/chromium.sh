#!/usr/bin/env bash
# Headless Chromium for the report's browser test. Idempotent: does nothing when a browser is already on PATH,
# so CI can call it on every run. Prints the browser's path on success.
set -euo pipefail

# A Japanese font too: without one the report's screenshots show empty boxes instead of the labels.
have_font() { fc-list 2>/dev/null | grep -qiE "ipa|noto sans cjk|takao"; }

for name in chromium chromium-browser google-chrome; do
  if command -v "$name" >/dev/null 2>&1 && have_font; then
    command -v "$name"
    exit 0
  fi
done

# Debian/Ubuntu packages; needs root (CI containers run as root, elsewhere sudo is used when present).
# Without either, say so and carry on: the browser test then skips instead of failing the whole run.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "chromium.sh: not root and no sudo; install the packages chromium and fonts-ipafont-gothic yourself" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: no apt-get here; install Chromium and a Japanese font with your package manager" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-ipafont-gothic >/dev/null
command -v chromium
