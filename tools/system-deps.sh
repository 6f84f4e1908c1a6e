#!/usr/bin/env bash
# Make sure the system packages are present: Debian's chromium (map export, browser tests),
# chromium-driver (browser tests), a CJK font (Chinese labels on screen and in exports), librsvg2-bin
# (PDF export with embedded fonts) and poppler-utils (checking PDFs: fonts, text, page renders).
# With --optional (used by `make run`), a machine where they cannot be installed gets a warning
# naming what to install, and the dashboard still starts (only image export needs them).
set -euo pipefail
optional=0
[ "${1:-}" = "--optional" ] && optional=1
fail() {
  echo "system-deps: $*" >&2
  if [ "$optional" -eq 1 ]; then echo "system-deps: continuing; image export needs them" >&2; exit 0; fi
  exit 1
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-noto-cjk); fi
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)  # PDF export: SVG to PDF with real fonts
command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)  # pdffonts/pdftotext/pdftoppm: PDF checks
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: missing ${missing[*]}"
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      fail "error: run as root or with passwordless sudo, or install: apt-get install ${missing[*]}"
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q </dev/null || fail "error: apt-get update failed; install: ${missing[*]}"
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" fontconfig </dev/null \
    || fail "error: apt-get install failed; install: ${missing[*]}"
  exit 0
fi
fail "error: no apt-get here; install Chromium, its ChromeDriver and a CJK font (e.g. Noto Sans CJK): ${missing[*]}"
