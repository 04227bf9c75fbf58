#!/usr/bin/env bash
# npm run cluster:down [-- --apps]
#
# Stops everything scripts/cluster/up.sh started (by the pid files and data folders it left, nothing else) and
# deletes the cluster folder with its data and logs. Safe to run when nothing runs. --apps stops only the API and
# worker processes and the round-robin, keeping Redis, PostgreSQL, PgBouncer and the data (then `cluster:up` again,
# e.g. after a rebuild).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APPS_ONLY=0
[ "${1:-}" = --apps ] && APPS_ONLY=1

if [ ! -d "$CLUSTER_DIR" ]; then
  log "nothing to stop: $CLUSTER_DIR does not exist"
  exit 0
fi
[ -f "$MARKER" ] || die "$CLUSTER_DIR was not made by cluster:up (no .x18-cluster file): not touching it"

# SIGTERM (a graceful stop), then SIGKILL after $2 seconds.
stop_pid_file() {
  local file=$1 seconds=${2:-20} pid i
  pid_alive "$file" || return 0
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < seconds * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "pid $pid ($file) ignored SIGTERM for $seconds s: killing it"
  kill -KILL "$pid" 2>/dev/null
}

shopt -s nullglob
if [ -d "$CLUSTER_DIR/app" ]; then
  log "stopping the round-robin, API and worker processes"
  stop_pid_file "$CLUSTER_DIR/app/proxy.pid" 5
  for file in "$CLUSTER_DIR"/app/*.pid; do stop_pid_file "$file" 30 & done
  wait
fi
if [ "$APPS_ONLY" = 1 ]; then
  log "app processes stopped; Redis, PostgreSQL and PgBouncer keep running"
  exit 0
fi

stop_pid_file "$CLUSTER_DIR/pgbouncer/pgbouncer.pid" 10

if PG_BIN="$(find_pg_bin)"; then
  for name in replica primary; do
    dir="$CLUSTER_DIR/pg/$name"
    if [ -f "$dir/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      log "stopping PostgreSQL $name"
      as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
    fi
  done
fi

for port in "${REDIS_PORTS[@]}"; do
  file="$CLUSTER_DIR/redis/$port/redis.pid"
  if pid_alive "$file"; then
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    stop_pid_file "$file" 5
  fi
done

rm -rf "$CLUSTER_DIR"
log "stopped; $CLUSTER_DIR removed"
