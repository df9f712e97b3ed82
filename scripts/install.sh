#!/usr/bin/env bash
# Create .venv and install walkthrough into it (editable), with the extras named
# in $1 ("" for the site alone, "flask" for the tour of the real Flask too, "test"
# for everything the tests need, Flask included).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
else
  .venv/bin/python -m pip install --quiet -e .
fi
