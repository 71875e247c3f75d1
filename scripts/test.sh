#!/usr/bin/env bash
# The test command: install and start what the tests need, then run pytest.
# Real PostgreSQL, Redis and Docker (dockerd --bridge=none), the offline-built sandbox image,
# a venv; then pytest over tests/. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
bash scripts/venv.sh dev,demo

export BESTOFN_DATABASE_URL=${BESTOFN_DATABASE_URL:-postgresql+psycopg://bestofn:bestofn@127.0.0.1:5432/bestofn_test}
export BESTOFN_REDIS_URL=${BESTOFN_REDIS_URL:-redis://127.0.0.1:6379/15}
export BESTOFN_DATA_DIR=${BESTOFN_DATA_DIR:-$(mktemp -d /tmp/bestofn-test-XXXXXX)}
# API keys default to required when a database URL is set; tests say explicitly what they want
# (tests/reliability turns them on per test).
export BESTOFN_REQUIRE_API_KEY=${BESTOFN_REQUIRE_API_KEY:-false}
# Tests never reach a real LLM: each starts the project's own scripted server on 127.0.0.1.
unset OPENAI_BASE_URL OPENAI_API_KEY || true

.venv/bin/bestofn sandbox build-image
set +e
.venv/bin/python -m pytest -p no:cacheprovider -ra "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
if command -v docker >/dev/null && [ -n "$(docker ps -aq --filter label=bestofn.sandbox=1)" ]; then
  echo "sandbox containers were left behind:" >&2
  docker ps -a --filter label=bestofn.sandbox=1 >&2
  exit 1
fi
exit "$rc"
