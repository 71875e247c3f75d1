#!/usr/bin/env bash
# The main job on a fresh machine: one real best-of-N task, end to end.
# Installs and starts Docker if missing (dockerd --bridge=none), builds the sandbox image offline,
# creates .venv, then solves a bundled demo problem with embedded defaults: SQLite, in-process
# execution, and, with no OPENAI_BASE_URL set, the bundled tiny SmolLM2 model on 127.0.0.1.
# Extra arguments go to `bestofn demo` (e.g. a problem name, --n 8, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh --docker-only
bash scripts/venv.sh dev,demo
exec .venv/bin/bestofn demo "$@"
