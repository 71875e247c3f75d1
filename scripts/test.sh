#!/usr/bin/env bash
# The test command: install and start what the tests need, then run pytest.
# Real PostgreSQL, Redis and Docker (dockerd --bridge=none), the offline-built sandbox image,
# a venv; then pytest over tests/. Extra arguments go to pytest.
#
# A run owns what it creates, so two runs can share one Docker engine, PostgreSQL and Redis:
# a run id (BESTOFN_RUN_ID, random unless set) labels its sandbox containers (bestofn.run=<id>)
# and names its database and Celery queue; on exit the run's database, queue and data dir go,
# and containers of this run that are still there fail it (and are removed).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
bash scripts/venv.sh dev,demo

PG_USER=${PG_USER:-bestofn}
PG_PASSWORD=${PG_PASSWORD:-bestofn}
PG_PORT=${PG_PORT:-5432}
export BESTOFN_RUN_ID=${BESTOFN_RUN_ID:-t$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}
if ! [[ $BESTOFN_RUN_ID =~ ^[a-z0-9_]{1,30}$ ]]; then
  echo "BESTOFN_RUN_ID must be 1 to 30 of [a-z0-9_] (it names a database): '$BESTOFN_RUN_ID'" >&2
  exit 2
fi
echo "[test] run $BESTOFN_RUN_ID"

psql_admin() { su postgres -c "cd / && psql -p $PG_PORT -v ON_ERROR_STOP=1 -qtAc \"$1\""; }

# This run's sandbox containers still on the engine: listed, removed, and the run fails.
containers_left() {
  command -v docker >/dev/null || return 1
  local filters=(--filter label=bestofn.sandbox=1 --filter "label=bestofn.run=$1")
  [ -n "$(docker ps -aq "${filters[@]}")" ] || return 1
  echo "sandbox containers of run $1 were left behind (removed now):" >&2
  docker ps -a "${filters[@]}" >&2
  docker ps -aq "${filters[@]}" | xargs -r docker rm -f >/dev/null 2>&1
  return 0
}

# The run's database, and per-test databases (bestofn_t_<run id>_*) a killed test left.
drop_databases() {
  local db
  for db in $run_db $family_db $(psql_admin "SELECT datname FROM pg_database WHERE datname LIKE 'bestofn_t_%'"); do
    [[ $db == "$run_db" || $db == "$family_db" || $db == bestofn_t_${BESTOFN_RUN_ID}_* ]] || continue
    psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  done
}

# The run's Celery queue (kombu keeps a list per priority step and a binding set).
drop_queue() {
  [ -n "$run_queue" ] || return 0
  redis-cli -u "$BESTOFN_REDIS_URL" --scan --pattern "*$run_queue*" \
    | xargs -r redis-cli -u "$BESTOFN_REDIS_URL" del >/dev/null
}

finish() {
  local rc=$?
  set +e
  if [ -n "$lang_build" ]; then  # never left running: a killed debootstrap would leave its /proc mount behind
    wait "$lang_build" || { echo "[test] language image build failed:" >&2; tail -20 "$lang_log" >&2; rc=1; }
    rm -f "$lang_log"
  fi
  if [ -n "$family_pid" ]; then kill -- "$family_pid" 2>/dev/null; wait "$family_pid" 2>/dev/null; fi
  if containers_left "$BESTOFN_RUN_ID"; then rc=1; fi
  if [ -n "$family_id" ] && containers_left "$family_id"; then rc=1; fi
  drop_databases
  [ -z "$family_data" ] || rm -rf "$family_data"
  rm -f "$family_log"
  drop_queue
  [ -z "$run_data" ] || rm -rf "$run_data"
  exit "$rc"
}
run_db="" run_queue="" run_data="" lang_build="" lang_log=""
family_id="" family_db="" family_data="" family_log="" family_pid=""
trap finish EXIT

if [ -z "${BESTOFN_DATABASE_URL:-}" ]; then
  run_db=bestofn_run_$BESTOFN_RUN_ID
  psql_admin "CREATE DATABASE $run_db OWNER $PG_USER" >/dev/null
  export BESTOFN_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$run_db
fi
export BESTOFN_REDIS_URL=${BESTOFN_REDIS_URL:-redis://127.0.0.1:6379/15}
if [ -z "${BESTOFN_CELERY_QUEUE:-}" ]; then
  run_queue=bestofn-$BESTOFN_RUN_ID
  export BESTOFN_CELERY_QUEUE=$run_queue
fi
if [ -z "${BESTOFN_DATA_DIR:-}" ]; then
  run_data=$(mktemp -d /tmp/bestofn-test-XXXXXX)
  export BESTOFN_DATA_DIR=$run_data
fi
# API keys default to required when a database URL is set; tests say explicitly what they want
# (tests/reliability turns them on per test).
export BESTOFN_REQUIRE_API_KEY=${BESTOFN_REQUIRE_API_KEY:-false}
# Tests never reach a real LLM: each starts the project's own scripted server on 127.0.0.1.
unset OPENAI_BASE_URL OPENAI_API_KEY || true

.venv/bin/bestofn sandbox build-image
# The other languages' images (tests/sandbox/languages) build in the background, in parallel, while
# the python tests run; each language test waits for its image (ensure_image takes the per-tag lock).
# Built once per recipe hash: later runs find them. BESTOFN_TEST_LANGUAGES: "all" (default), a
# space-separated list, or "none".
test_languages=${BESTOFN_TEST_LANGUAGES:-all}
if [ "$test_languages" != none ]; then
  lang_log=$(mktemp /tmp/bestofn-lang-build-XXXXXX.log)
  lang_args=()
  for lang in $test_languages; do lang_args+=(--language "$lang"); done
  .venv/bin/bestofn sandbox build "${lang_args[@]}" >"$lang_log" 2>&1 &
  lang_build=$!
fi
pytest_run() { .venv/bin/python -m pytest -p no:cacheprovider -ra "$@"; }

# The whole suite (no arguments): the slow families -- the other languages (compilers, their images
# still building) and the browser -- run in a second pytest beside the rest, as a run of their own
# (run id <id>_f: its own database, Celery queue, data dir and container label), so neither session's
# end-of-run container check sees the other's. BESTOFN_TEST_FAMILIES=serial runs one pytest.
families=${BESTOFN_TEST_FAMILIES:-parallel}
slow_families="languages or browser"
if [ $# -eq 0 ] && [ "$families" = parallel ] && [ -n "$run_db" ] && [ "$test_languages" != none ]; then
  family_id=${BESTOFN_RUN_ID:0:28}_f
  family_db=bestofn_run_$family_id
  family_data=$(mktemp -d /tmp/bestofn-test-XXXXXX)
  family_log=$(mktemp /tmp/bestofn-family-XXXXXX.log)
  psql_admin "CREATE DATABASE $family_db OWNER $PG_USER" >/dev/null
  echo "[test] the slow families ($slow_families) run beside the rest as run $family_id"
  BESTOFN_RUN_ID=$family_id BESTOFN_CELERY_QUEUE=bestofn-$family_id BESTOFN_DATA_DIR=$family_data \
    BESTOFN_DATABASE_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$family_db \
    pytest_run -m "$slow_families" tests >"$family_log" 2>&1 &
  family_pid=$!
  set +e
  pytest_run -m "not ($slow_families)" tests
  rc=$?
  wait "$family_pid"
  family_rc=$?
  family_pid=""
  set -e
  echo "[test] ---------- the slow families ($slow_families), run $family_id ----------"
  cat "$family_log"
  for code in $rc $family_rc; do
    if [ "$code" -eq 5 ]; then echo "pytest collected no tests in one of the sessions: that is a failure" >&2; exit 1; fi
  done
  [ "$rc" -ne 0 ] || rc=$family_rc
  exit "$rc"
fi

set +e
pytest_run "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$rc"
