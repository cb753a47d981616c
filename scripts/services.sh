#!/usr/bin/env bash
# Redis and PostgreSQL on loopback for the store tests.
#
#   eval "$(bash scripts/services.sh start)"   # installs what is missing, starts both, exports
#                                               # REDIS_URL and DATABASE_URL
#   bash scripts/services.sh stop
#
# Both run from a scratch directory (no persistence, PostgreSQL as the unprivileged `postgres`
# user since initdb refuses root). Progress goes to stderr; stdout carries only the exports.
set -euo pipefail

state_dir=${SERVICES_DIR:-/tmp/express-session-rs-services}
redis_port=${REDIS_PORT:-6391}
pg_port=${PG_PORT:-5439}

log () { echo "services: $*" >&2; }

install_missing () {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

start_redis () {
  mkdir -p "$state_dir/redis"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --daemonize yes --pidfile "$state_dir/redis/redis.pid" --logfile "$state_dir/redis/redis.log" \
    --dir "$state_dir/redis" >&2
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "redis-server did not answer on port $redis_port"; cat "$state_dir/redis/redis.log" >&2; exit 1
}

start_postgres () {
  local bin
  bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  local data="$state_dir/pg/data"
  mkdir -p "$state_dir/pg"
  chown -R postgres:postgres "$state_dir/pg"
  if [ ! -s "$data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$state_dir/pg/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $state_dir/pg -c fsync=off" start >&2
  runuser -u postgres -- psql -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'sessions'" | grep -q 1 ||
    runuser -u postgres -- psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE sessions" >&2
}

stop_all () {
  if [ -f "$state_dir/redis/redis.pid" ]; then
    kill "$(cat "$state_dir/redis/redis.pid")" 2>/dev/null || true
  fi
  local bin
  bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)")
  if [ -f "$state_dir/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$state_dir/pg/data" -m fast stop >&2 || true
  fi
  rm -rf "$state_dir"
}

case "${1:-}" in
  start)
    stop_all
    install_missing
    start_redis
    start_postgres
    log "redis on 127.0.0.1:$redis_port, postgres on 127.0.0.1:$pg_port"
    echo "export REDIS_URL=redis://127.0.0.1:$redis_port"
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/sessions"
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
