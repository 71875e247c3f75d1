#!/usr/bin/env bash
# Create .venv with the project and its extras if it is missing or stale (pyproject changed).
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-dev,demo}
stamp=.venv/.bestofn-installed
want="$(sha256sum pyproject.toml | cut -c1-16)-$extras"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[venv] installing bestofn[$extras] into .venv"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e ".[$extras]"
echo "$want" > "$stamp"
