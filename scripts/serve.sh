#!/usr/bin/env bash
# Install walkthrough and serve it on http://127.0.0.1:5000/ (extra options
# are passed on, e.g. --port 0 or --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
cd examples
exec ../.venv/bin/walkthrough run hello:app "$@"
