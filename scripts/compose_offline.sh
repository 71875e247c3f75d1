#!/usr/bin/env bash
# Prove docker-compose.yml end to end on a machine that reaches no container registry:
#   1. build local stand-ins for python:3.11-slim, postgres:16 and redis:7 from Debian packages
#      (compose/offline/build_images.sh: debootstrap + docker import + docker build; cached by tag),
#   2. start the scripted OpenAI-compatible server (bestofn.testing.fake_llm) on 127.0.0.1,
#   3. docker-compose up the repo's compose file plus compose/offline/docker-compose.offline.yml
#      (host network, everything bound to 127.0.0.1 on ports 55432/56379/58000), as merged by
#      `compose config` minus the published ports of host-network services (1.x refuses the pair),
#   4. POST examples/running_max.json with curl, poll GET /v1/tasks/{id} until it ends,
#   5. print the result; exit 0 only if it is "done" with a winner; always tear everything down.
#
# Usage: scripts/compose_offline.sh [--smollm] [--keep] [--force-images]
#   --smollm        no scripted server: OPENAI_BASE_URL stays empty and the worker runs the bundled
#                   SmolLM2 model itself (slow on a small CPU; the verdict still needs a winner)
#   --keep          leave the stack running; stop it with
#                   docker-compose -p bestofn-offline -f docker-compose.yml -f compose/offline/docker-compose.offline.yml down -v
#   --force-images  rebuild the stand-in images even if their tags exist
# Env: BESTOFN_OFFLINE_{PG,REDIS,API}_PORT (55432/56379/58000), BESTOFN_OFFLINE_TIMEOUT_S (300),
#      BESTOFN_OFFLINE_NICE (10, niceness of the image builds). Needs root and a Docker engine.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PROJECT=bestofn-offline
OVERRIDE=compose/offline/docker-compose.offline.yml
PROBLEM=examples/running_max.json
export BESTOFN_OFFLINE_PG_PORT=${BESTOFN_OFFLINE_PG_PORT:-55432}
export BESTOFN_OFFLINE_REDIS_PORT=${BESTOFN_OFFLINE_REDIS_PORT:-56379}
export BESTOFN_OFFLINE_API_PORT=${BESTOFN_OFFLINE_API_PORT:-58000}
TIMEOUT_S=${BESTOFN_OFFLINE_TIMEOUT_S:-300}
NICE=${BESTOFN_OFFLINE_NICE:-10}
API=http://127.0.0.1:$BESTOFN_OFFLINE_API_PORT

SMOLLM=false KEEP=false FORCE_IMAGES=()
for arg in "$@"; do
  case "$arg" in
    --smollm) SMOLLM=true ;;
    --keep) KEEP=true ;;
    --force-images) FORCE_IMAGES=(--force) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

T0=$SECONDS
# a Python for the helpers: the project's venv (has PyYAML, a project dependency), else python3
PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"
"$PY" -c 'import yaml' 2>/dev/null || { echo "needs PyYAML: bash scripts/venv.sh, or apt-get install python3-yaml" >&2; exit 1; }
say() { printf '[compose-offline %4ss] %s\n' "$((SECONDS - T0))" "$*"; }
WORK=$(mktemp -d /tmp/bestofn-compose-offline.XXXXXX)
FAKE_PID=""
TASK_ID=""
COMPOSE=()

# --- Docker engine and a compose CLI ---------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  say "no Docker engine answering: bash scripts/services.sh --docker-only"
  bash scripts/services.sh --docker-only
fi
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
else
  say "no compose CLI: apt-get install -y docker-compose"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >"$WORK/apt.log" 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >"$WORK/apt.log" 2>&1; } \
    || { tail -20 "$WORK/apt.log"; exit 1; }
  COMPOSE=(docker-compose)
fi
FILES=(-f docker-compose.yml -f "$OVERRIDE")
compose() { "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "$@"; }
say "compose CLI: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?'))"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ! $KEEP && [ ${#COMPOSE[@]} -gt 0 ]; then
    if [ "$rc" -ne 0 ] && [ -n "${BESTOFN_IMAGES_READY:-}" ]; then
      say "failed (rc=$rc): last log lines of the stack"
      compose logs --no-color --tail=40 2>&1 | sed 's/^/    /' || true
    fi
    say "docker-compose down -v"
    compose down -v --remove-orphans --timeout 10 >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
    # sandbox containers the compose worker started (the engine is the host's; they are siblings)
    local ids
    ids=$( { docker ps -aq --filter label=bestofn.sandbox=1 --filter ancestor=bestofn-sandbox:compose
             [ -n "$TASK_ID" ] && docker ps -aq --filter label=bestofn.sandbox=1 --filter "label=bestofn.task=$TASK_ID"
             true; } 2>/dev/null | sort -u)
    if [ -n "$ids" ]; then
      say "removing $(echo "$ids" | wc -l) leftover sandbox container(s)"
      echo "$ids" | xargs docker rm -f >/dev/null 2>&1 || true
    fi
  fi
  if [ -n "$FAKE_PID" ] && kill -0 "$FAKE_PID" 2>/dev/null; then
    kill "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  say "exit $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- leftovers of an earlier run, and port clashes ---------------------------------------------
compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
for p in "$BESTOFN_OFFLINE_PG_PORT" "$BESTOFN_OFFLINE_REDIS_PORT" "$BESTOFN_OFFLINE_API_PORT"; do
  if port_busy "$p"; then
    say "127.0.0.1:$p is in use; pick others with BESTOFN_OFFLINE_{PG,REDIS,API}_PORT"
    exit 1
  fi
done

# --- 1. local stand-in images ---------------------------------------------------------------
t=$SECONDS
images=$(BESTOFN_OFFLINE_NICE=$NICE bash compose/offline/build_images.sh "${FORCE_IMAGES[@]}")
while IFS='=' read -r key value; do
  case "$key" in BESTOFN_PYTHON_IMAGE|BESTOFN_POSTGRES_IMAGE|BESTOFN_REDIS_IMAGE) export "$key=$value" ;; esac
done <<<"$images"
: "${BESTOFN_PYTHON_IMAGE:?}" "${BESTOFN_POSTGRES_IMAGE:?}" "${BESTOFN_REDIS_IMAGE:?}"
BESTOFN_IMAGES_READY=1
say "stand-in images ready in $((SECONDS - t))s: $BESTOFN_PYTHON_IMAGE $BESTOFN_POSTGRES_IMAGE $BESTOFN_REDIS_IMAGE"

# --- 2. the LLM endpoint ------------------------------------------------------------------------
export OPENAI_API_KEY=sk-offline  # nothing here needs a real key; don't hand one to the containers
if $SMOLLM; then
  export OPENAI_BASE_URL="" BESTOFN_MODEL=smollm2-135m-instruct
  say "LLM: the bundled SmolLM2 model inside the worker (OPENAI_BASE_URL empty)"
else
  # stdlib only: any python3 runs it from the source tree
  PYTHONPATH="$ROOT" "$PY" -m bestofn.testing.fake_llm --script compose/offline/fake_llm_script.json --port 0 \
    >"$WORK/fake_llm.out" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 50); do grep -q '^http://' "$WORK/fake_llm.out" 2>/dev/null && break; sleep 0.1; done
  OPENAI_BASE_URL=$(grep -m1 '^http://127\.0\.0\.1:' "$WORK/fake_llm.out" || true)
  [ -n "$OPENAI_BASE_URL" ] || { say "the scripted LLM did not start:"; cat "$WORK/fake_llm.out"; exit 1; }
  export OPENAI_BASE_URL
  export BESTOFN_MODEL=fake-model  # the name the scripted server answers as
  say "LLM: scripted server (compose/offline/fake_llm_script.json) at $OPENAI_BASE_URL, pid $FAKE_PID"
fi

# --- 3. the stack ---------------------------------------------------------------------------------
# The two files as compose itself merges them (`config`), with one change: a service on the host
# network loses its published `ports` (meaningless there; docker-compose 1.x refuses the pair outright,
# and a 1.x override can add ports but not remove the main file's 127.0.0.1:8000:8000).
compose config >"$WORK/merged.yml"
"$PY" - "$WORK/merged.yml" "$WORK/docker-compose.resolved.yml" <<'PYEOF'
import sys
import yaml
config = yaml.safe_load(open(sys.argv[1]))
for name, service in config["services"].items():
    if service.get("network_mode") == "host" and service.pop("ports", None):
        print(f"    {name}: network_mode host, published ports dropped")
yaml.safe_dump(config, open(sys.argv[2], "w"), sort_keys=False)
PYEOF
FILES=(-f "$WORK/docker-compose.resolved.yml")
t=$SECONDS
if [ "${COMPOSE[0]}" = docker-compose ]; then
  # 1.x builds with the classic builder, which keeps a failed step's container unless told not to:
  # build first with --force-rm (what `up --build` would build), then up.
  say "${COMPOSE[*]} -p $PROJECT (docker-compose.yml + $OVERRIDE, resolved) build --force-rm && up -d"
  up=(build --force-rm)
else
  say "${COMPOSE[*]} -p $PROJECT (docker-compose.yml + $OVERRIDE, resolved) up -d --build"
  up=(up -d --build)
fi
if ! nice -n "$NICE" "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "${up[@]}" >"$WORK/up.log" 2>&1 \
   || { [ "${COMPOSE[0]}" = docker-compose ] && ! compose up -d >>"$WORK/up.log" 2>&1; }; then
  tail -40 "$WORK/up.log"
  exit 1
fi
grep -E '^(Creating|Starting|Building|Successfully tagged|Step [0-9]+/[0-9]+ : FROM)|Started|Created|Built' "$WORK/up.log" \
  | sed 's/^/    /' || true
say "up in $((SECONDS - t))s; waiting for $API/healthz"
for _ in $(seq 1 120); do curl -fsS "$API/healthz" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "$API/healthz" >/dev/null || { say "API not healthy after 120 s"; exit 1; }
compose ps | sed 's/^/    /'

# --- 4. one task through the REST API ---------------------------------------------------------------
t=$SECONDS
task_t0=$(date +%s)
accepted=$(curl -fsS -X POST "$API/v1/tasks" -H 'Content-Type: application/json' --data-binary "@$PROBLEM")
TASK_ID=$(printf '%s' "$accepted" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
say "POST /v1/tasks $PROBLEM -> $accepted"
status=""
deadline=$((SECONDS + TIMEOUT_S))
while [ "$SECONDS" -lt "$deadline" ]; do
  curl -fsS "$API/v1/tasks/$TASK_ID" >"$WORK/task.json"
  status=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"])' "$WORK/task.json")
  case "$status" in done|failed|cancelled) break ;; esac
  sleep 1
done
say "GET /v1/tasks/$TASK_ID -> $status after $((SECONDS - t))s"

# --- 5. the verdict -------------------------------------------------------------------------------------
python3 - "$WORK/task.json" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
d = v.get("decision") or {}
w = v.get("winner") or {}
summary = {
    "id": v["id"], "status": v["status"], "strategy": v["strategy"], "model": v["model"],
    "progress": v["progress"], "latency_ms": v["latency_ms"],
    "winner": {k: w.get(k) for k in ("index", "passed", "code") if k in w} if w else None,
    "ranking": [
        f"#{r.get('rank')} candidate {r.get('index')}: {(r.get('score') or {}).get('status')}, "
        f"{(r.get('score') or {}).get('tests_passed')}/{(r.get('score') or {}).get('tests_total')} tests"
        for r in v.get("ranking", [])
    ],
    "decision": {k: d.get(k) for k in ("method", "winner", "reason", "agreement_rate", "confidence", "no_passing_candidate")},
}
print(json.dumps(summary, indent=2))
EOF
# where it went: sandbox containers the worker started on the host engine, rows in Postgres, Redis traffic
say "sandbox containers created for the task (image):"
docker events --since "$task_t0" --until "$(date +%s)" --filter type=container --filter event=create \
  --filter "label=bestofn.task=$TASK_ID" --format '{{.From}}' | sort | uniq -c | sed 's/^/    /'
say "Postgres rows for the task (candidate, execution, decision method):"
compose exec -T postgres psql -U bestofn -d bestofn -p "$BESTOFN_OFFLINE_PG_PORT" -tA -F ' ' -c \
  "select (select count(*) from candidate where task_id='$TASK_ID'), (select count(*) from execution where task_id='$TASK_ID'), (select method from decision where task_id='$TASK_ID')" \
  | sed 's/^/    /'
say "Redis (broker):"
compose exec -T redis redis-cli -h 127.0.0.1 -p "$BESTOFN_OFFLINE_REDIS_PORT" info stats \
  | grep -E '^total_(connections_received|commands_processed)' | tr -d '\r' | sed 's/^/    /'
winner=$(python3 -c 'import json, sys; w = json.load(open(sys.argv[1])).get("winner"); print("" if w is None else w.get("index", ""))' "$WORK/task.json")
if [ "$status" != done ] || [ -z "$winner" ]; then
  say "FAIL: task $TASK_ID is '$status' with winner '${winner:-none}'"
  exit 1
fi
say "PASS: task $TASK_ID done, winner candidate $winner (compose stack: postgres, redis, sandbox-image, api, worker)"
