#!/usr/bin/env bash
# The README's screenshots of the browser UI, taken by the browser test itself (tests/ui/test_browser.py)
# against the real API, worker and scripted LLM: docs/ui/{task,diff,dashboard}.png.
set -euo pipefail
cd "$(dirname "$0")/.."
export BESTOFN_UI_SCREENSHOTS=$PWD/docs/ui
bash scripts/test.sh tests/ui/test_browser.py -q "$@"
ls -l docs/ui
