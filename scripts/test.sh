#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium included) and run them
# all: lint, format check, then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium, and a Chinese font for the pages in Chinese (system fonts only).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh family 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
bash scripts/install.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
