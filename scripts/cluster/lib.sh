# Shared by up.sh and down.sh: the layout of the local scale-out cluster.
# Everything listens on 127.0.0.1, in one fixed port range, and lives under one folder.
#
#   CLUSTER_DIR        where data, logs and pid files go (default: <repo>/.data/cluster)
#   CLUSTER_PORT_BASE  first port of the range (default: 17000); the range is:
#     +1..+6   Redis Cluster nodes (3 primaries, 3 replicas); their cluster bus ports are +10000
#     +10      PostgreSQL primary      +11  PostgreSQL streaming replica      +12  PgBouncer (transaction mode)
#     +20, +21 API processes (APP_ROLE=api)      +30  the single APP_ROLE=all process of `up.sh --single`
#     +80      round-robin in front of the API processes

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_DIR="$(realpath -m "${CLUSTER_DIR:-$ROOT/.data/cluster}")"
# up.sh leaves this file in the folder; down.sh removes only a folder that has it.
MARKER="$CLUSTER_DIR/.x18-cluster"
BASE="${CLUSTER_PORT_BASE:-17000}"

REDIS_PORTS=()
for i in 1 2 3 4 5 6; do REDIS_PORTS+=($((BASE + i))); done
PG_PRIMARY_PORT=$((BASE + 10))
PG_REPLICA_PORT=$((BASE + 11))
PGBOUNCER_PORT=$((BASE + 12))
API_PORTS=($((BASE + 20)) $((BASE + 21)))
SINGLE_PORT=$((BASE + 30))
PROXY_PORT=$((BASE + 80))
DB_NAME=x18

log() { printf '[cluster] %s\n' "$*"; }
die() {
  printf '[cluster] error: %s\n' "$*" >&2
  exit 1
}

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# PostgreSQL's server binaries: the newest /usr/lib/postgresql/<version>/bin, or whatever is on PATH.
find_pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_basebackup" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && command -v pg_basebackup >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  return 1
}

find_pgbouncer() { command -v pgbouncer 2>/dev/null || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; }; }

# PostgreSQL and PgBouncer refuse to run as root: run them as the `postgres` user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_owned_dir() {
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$1"; fi
  chmod 700 "$1"
}

# What is missing for the cluster, one item per line (nothing: all there).
missing_binaries() {
  command -v redis-server >/dev/null 2>&1 || echo redis-server
  command -v redis-cli >/dev/null 2>&1 || echo redis-cli
  find_pg_bin >/dev/null || echo "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)"
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then echo "a 'postgres' user (PostgreSQL will not run as root)"; fi
}
