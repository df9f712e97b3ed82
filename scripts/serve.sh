#!/usr/bin/env bash
# Install walkthrough with the Flask extra (the tour of the real Flask needs it)
# and serve the site on http://127.0.0.1:5000/ with the project's own server.
# Extra options are passed on (--port 0, --host 0.0.0.0, --content DIR, --reload).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh flask
exec .venv/bin/walkthrough serve "$@"
