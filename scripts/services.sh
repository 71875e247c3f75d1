#!/usr/bin/env bash
# Install (if missing) and start what the tests need, all on loopback:
# PostgreSQL, Redis and a Docker engine with no bridge network (dockerd --bridge=none).
# Idempotent: anything already running is left alone. Needs root for apt-get and dockerd.
set -euo pipefail

PG_USER=${PG_USER:-bestofn}
PG_PASSWORD=${PG_PASSWORD:-bestofn}
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
LOG_DIR=${LOG_DIR:-/var/log/bestofn}
mkdir -p "$LOG_DIR"

say() { printf '[services] %s\n' "$*"; }
only_docker=false
[ "${1:-}" = "--docker-only" ] && only_docker=true

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
if ! $only_docker; then
  command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_pkgs+=(postgresql)
  # headless Chromium renders /docs and /redoc offline in tests/api (--dump-dom: no driver needed);
  # tests/ui drive it through Selenium, which needs Debian's matching chromium-driver
  command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_pkgs+=(chromium-driver)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >"$LOG_DIR/apt.log" 2>&1 || { tail -20 "$LOG_DIR/apt.log"; exit 1; }
fi

# --- Docker engine, no bridge: sandboxes run with network_mode=none -------------
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd --bridge=none"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$LOG_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { say "dockerd did not start"; tail -20 "$LOG_DIR/dockerd.log"; exit 1; }
fi

if $only_docker; then
  say "ready: docker $(docker version -f '{{.Server.Version}}')"
  exit 0
fi

# --- Redis on loopback, no persistence -------------------------------------------
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  say "starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --logfile "$LOG_DIR/redis.log"
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

# --- PostgreSQL on loopback ----------------------------------------------------------
if ! pg_isready -h 127.0.0.1 -p "$PG_PORT" -q 2>/dev/null; then
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
    pg_createcluster "$ver" main -p "$PG_PORT" >/dev/null
  fi
  say "starting PostgreSQL $ver on 127.0.0.1:$PG_PORT"
  pg_ctlcluster "$ver" main start -- -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT" 2>/dev/null \
    || pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p "$PG_PORT" -q && break; sleep 0.5; done
fi
su postgres -c "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 \
  || su postgres -c "psql -p $PG_PORT -qc \"CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD'\""
for db in bestofn bestofn_test; do
  su postgres -c "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
    || su postgres -c "createdb -p $PG_PORT -O $PG_USER $db"
done
say "ready: postgres 127.0.0.1:$PG_PORT, redis 127.0.0.1:$REDIS_PORT, docker $(docker version -f '{{.Server.Version}}')"
