#!/usr/bin/env bash
# Make sure the browser tests' system packages are present: Debian's chromium, chromium-driver and a CJK font.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-noto-cjk); fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: missing ${missing[*]}"
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "system-deps: error: run as root or with passwordless sudo, or install: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q </dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" fontconfig </dev/null
  exit 0
fi
echo "system-deps: error: no apt-get here; install Chromium, its ChromeDriver and a CJK font (e.g. Noto Sans CJK): ${missing[*]}" >&2
exit 1
