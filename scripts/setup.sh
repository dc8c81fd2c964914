#!/usr/bin/env bash
# Create .venv and install the project into it. Idempotent: pip runs again only when
# pyproject.toml or the requested extras change. Usage: scripts/setup.sh [EXTRAS]
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
  echo "error: Python 3.11+ is needed ($python is $("$python" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
want="$(sha256sum pyproject.toml | cut -d' ' -f1) [$extras]"
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$want" ]; then
  echo "installing into .venv (first run takes a few minutes)..." >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  echo "$want" > .venv/.setup-stamp
fi
