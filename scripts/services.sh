#!/usr/bin/env bash
# Redis and PostgreSQL on loopback for the store tests (__test__/ecosystem/).
#
#   eval "$(bash scripts/services.sh start)"   # installs what is missing, starts both on free
#                                               # ports, prints `export REDIS_URL=… DATABASE_URL=…`
#   bash scripts/services.sh status            # prints the same exports if both are up, else fails
#   bash scripts/services.sh stop              # stops both and removes their data
#
# Both run from a fresh temporary directory with no persistence: redis-server daemonized with a
# pidfile there, PostgreSQL initialised there by an unprivileged user (initdb refuses root), its
# unix socket there too, a `sessions` database owned by a `sessions` role with a random password.
# Progress and errors go to stderr; stdout carries only shell for `eval`. `start` is idempotent: when
# both servers of an earlier start still answer, it prints their exports again and starts nothing.
set -euo pipefail

# Where the running instance's directory is recorded, so that `stop` (another process) finds it.
pointer=${SERVICES_POINTER:-${TMPDIR:-/tmp}/express-session-rs-services.path}

log () { echo "services: $*" >&2; }

# On any failure during start: say where, undo what was started, and make the caller's eval fail too.
on_error () {
  local status=$? line=$1
  trap - ERR
  log "FAILED (exit $status at line $line of $0)"
  if [ -n "${run_dir:-}" ] && [ -d "$run_dir" ]; then
    for f in "$run_dir"/redis/redis.log "$run_dir"/pg/postgres.log "$run_dir"/pg/initdb.log; do
      [ -s "$f" ] && { log "--- $f"; tail -n 30 "$f" >&2; }
    done
  fi
  stop_all || true
  echo "echo 'scripts/services.sh start failed' >&2; false"
  exit 1
}

pg_bin () {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$initdb" ] && dirname "$initdb"
}

install_missing () {
  local missing=()
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${missing[*]} and not root: install them (apt-get install -y ${missing[*]})"
    return 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# A TCP port nothing listens on at the moment of asking (the kernel's pick for port 0).
free_port () {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close() })"
}

# The user PostgreSQL runs as: `postgres` (made by Debian's package) when root, else ourselves.
pg_user () {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if ! id postgres >/dev/null 2>&1; then
    log "creating system user postgres"
    useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  echo postgres
}

as_pg () {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$pg_owner" -- "$@"; else "$@"; fi
}

start_redis () {
  local port attempt
  mkdir -p "$run_dir/redis"
  for attempt in 1 2 3; do
    port=$(free_port)
    if redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
      --daemonize yes --pidfile "$run_dir/redis/redis.pid" --logfile "$run_dir/redis/redis.log" \
      --dir "$run_dir/redis" >&2; then
      for _ in $(seq 100); do
        if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
          echo "$port" > "$run_dir/redis/port"
          log "redis-server $(redis-server --version | grep -o 'v=[0-9.]*') on 127.0.0.1:$port"
          return 0
        fi
        sleep 0.1
      done
    fi
    log "redis-server did not come up on port $port (attempt $attempt)"
    [ -f "$run_dir/redis/redis.pid" ] && kill "$(cat "$run_dir/redis/redis.pid")" 2>/dev/null || true
  done
  return 1
}

start_postgres () {
  local bin port attempt password pwfile
  bin=$(pg_bin)
  pg_owner=$(pg_user)
  mkdir -p "$run_dir/pg"
  [ "$(id -u)" -eq 0 ] && chown "$pg_owner:" "$run_dir/pg"
  echo "$pg_owner" > "$run_dir/pg/owner"

  # superuser over the unix socket (trust, only this user can reach the 0700 socket dir);
  # TCP on loopback needs a password
  pwfile="$run_dir/pg/superuser.pw"
  (umask 077; od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$pwfile")
  [ "$(id -u)" -eq 0 ] && chown "$pg_owner:" "$pwfile"
  as_pg "$bin/initdb" -D "$run_dir/pg/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 > "$run_dir/pg/initdb.log" 2>&1
  chmod 700 "$run_dir/pg"

  for attempt in 1 2 3; do
    port=$(free_port)
    if as_pg "$bin/pg_ctl" -D "$run_dir/pg/data" -l "$run_dir/pg/postgres.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $run_dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2; then
      break
    fi
    log "postgres did not come up on port $port (attempt $attempt)"
    port=
  done
  [ -n "$port" ] || return 1
  echo "$port" > "$run_dir/pg/port"

  password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  as_pg psql -h "$run_dir/pg" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q >&2 <<SQL
CREATE ROLE sessions LOGIN PASSWORD '$password';
CREATE DATABASE sessions OWNER sessions;
SQL
  (umask 077; echo "postgres://sessions:$password@127.0.0.1:$port/sessions" > "$run_dir/pg/url")
  log "postgres $("$bin/postgres" --version | grep -o "[0-9][0-9.]*" | head -n 1) on 127.0.0.1:$port (data in $run_dir/pg/data)"
}

# Both servers of the recorded instance answer: print their exports.
print_exports () {
  local dir
  dir=$(cat "$pointer" 2>/dev/null) || return 1
  [ -s "$dir/redis/port" ] && [ -s "$dir/pg/url" ] || return 1
  [ "$(redis-cli -h 127.0.0.1 -p "$(cat "$dir/redis/port")" ping 2>/dev/null)" = PONG ] || return 1
  "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$(cat "$dir/pg/port")" || return 1
  echo "export REDIS_URL=redis://127.0.0.1:$(cat "$dir/redis/port")"
  echo "export DATABASE_URL=$(cat "$dir/pg/url")"
}

stop_all () {
  local dir bin pid
  dir=${run_dir:-$(cat "$pointer" 2>/dev/null || true)}
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    rm -f "$pointer"
    return 0
  fi
  if [ -f "$dir/redis/redis.pid" ]; then
    pid=$(cat "$dir/redis/redis.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      log "redis-server stopped"
    fi
  fi
  if [ -f "$dir/pg/data/postmaster.pid" ] && bin=$(pg_bin); then
    pg_owner=$(cat "$dir/pg/owner" 2>/dev/null || id -un)
    as_pg "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >&2 && log "postgres stopped" || true
  fi
  rm -rf "$dir"
  if [ "$(cat "$pointer" 2>/dev/null || true)" = "$dir" ]; then rm -f "$pointer"; fi
}

case "${1:-}" in
  start)
    if print_exports; then
      log "already running ($(cat "$pointer")); reusing"
      exit 0
    fi
    run_dir=
    stop_all   # a half-dead earlier instance
    trap 'on_error $LINENO' ERR
    install_missing
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/express-session-rs-services.XXXXXX")
    chmod 755 "$run_dir"   # the PostgreSQL user must reach its subdirectory
    echo "$run_dir" > "$pointer"
    start_redis
    start_postgres
    trap - ERR
    print_exports
    ;;
  status)
    print_exports
    ;;
  stop)
    run_dir=
    stop_all
    ;;
  *)
    echo "usage: $0 start|status|stop" >&2
    exit 2
    ;;
esac
