#!/usr/bin/env bash
# Set everything up (venv, packages) and start the web chat. The index is built on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
exec .venv/bin/python app.py "$@"
