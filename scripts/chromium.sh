#!/usr/bin/env bash
# Headless Chromium + chromedriver for the tests that load a page in a real browser.
#   scripts/chromium.sh ensure  → installs Debian's chromium and chromium-driver when missing
#                                 (as root), then prints the chromedriver path; exit 1 if neither
#                                 is available afterwards
set -euo pipefail

ensure() {
  if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "chromium.sh: installing Debian's chromium and chromium-driver" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >&2 \
        || { echo "chromium.sh: the install failed" >&2; exit 1; }
    else
      echo "chromium.sh: chromium/chromedriver not found and cannot be installed (not root or no apt-get)" >&2
      exit 1
    fi
  fi
  command -v chromedriver
}

case "${1:-}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
