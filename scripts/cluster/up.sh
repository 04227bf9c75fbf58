#!/usr/bin/env bash
# npm run cluster:up [-- --infra-only | --single]
#
# Starts the local scale-out set-up on loopback, from this machine's own binaries (see lib.sh for ports and folders):
#   a 6-node Redis Cluster (3 primaries, 3 replicas), a PostgreSQL primary with one streaming replica, PgBouncer in
#   transaction mode in front of the primary (when Debian's pgbouncer is installed), 2 API and 2 worker processes,
#   and a round-robin in front of the API processes.
# Idempotent: what already runs is kept. --infra-only stops after Redis, PostgreSQL and PgBouncer (the cluster test
# suite starts its own app processes); --single starts one APP_ROLE=all process on port +30 instead of the 2+2
# and the round-robin (the comparison in scripts/cluster/throughput.ts).
# CLUSTER_BUILD=0 skips `npm run build`; CLUSTER_RUNTIME=ts runs the TypeScript sources instead of dist/;
# CLUSTER_LOG_LEVEL sets the apps' LOG_LEVEL (default info); CLUSTER_PGBOUNCER=0 leaves PgBouncer out (the apps
# then use the primary directly); RATE_LIMIT_* variables are passed on to the apps.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INFRA_ONLY=0
SINGLE=0
for arg in "$@"; do
  case "$arg" in
    --infra-only) INFRA_ONLY=1 ;;
    --single) SINGLE=1 ;;
    -h | --help)
      sed -n '2,13p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown option: $arg" ;;
  esac
done

missing="$(missing_binaries)"
[ -z "$missing" ] || die "this machine lacks: $(echo "$missing" | paste -sd, -)"
PG_BIN="$(find_pg_bin)"
PGBOUNCER="$(find_pgbouncer || true)"
[ "${CLUSTER_PGBOUNCER:-1}" != 0 ] || PGBOUNCER=""
PSQL="$PG_BIN/psql"
[ -x "$PSQL" ] || PSQL=psql

mkdir -p "$CLUSTER_DIR"
touch "$MARKER"

# ---------------------------------------------------------------------------------------------------- Redis Cluster

start_redis_node() {
  local port=$1 dir="$CLUSTER_DIR/redis/$1"
  mkdir -p "$dir"
  if pid_alive "$dir/redis.pid"; then return 0; fi
  if port_open "$port" || port_open $((port + 10000)); then
    die "port $port (or its cluster bus port $((port + 10000))) is taken; choose another range with CLUSTER_PORT_BASE"
  fi
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 3000 >/dev/null
  wait_for 10 redis-cli -p "$port" ping || die "Redis on $port did not start (see $dir/redis.log)"
}

cluster_info() { redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

redis_cluster_ok() {
  local port
  for port in "${REDIS_PORTS[@]}"; do
    [ "$(cluster_info "$port" cluster_state)" = ok ] || return 1
    [ "$(cluster_info "$port" cluster_known_nodes)" = 6 ] || return 1
  done
  # Every replica follows its primary.
  [ "$(redis-cli -p "${REDIS_PORTS[0]}" cluster nodes | grep -c ' slave ')" = 3 ] || return 1
  for port in "${REDIS_PORTS[@]}"; do
    if redis-cli -p "$port" info replication | grep -q '^role:slave'; then
      redis-cli -p "$port" info replication | grep -q '^master_link_status:up' || return 1
    fi
  done
}

log "Redis Cluster on 127.0.0.1:${REDIS_PORTS[0]}-${REDIS_PORTS[5]}"
for port in "${REDIS_PORTS[@]}"; do start_redis_node "$port"; done
if ! redis_cluster_ok; then
  if [ "$(cluster_info "${REDIS_PORTS[0]}" cluster_known_nodes)" = 1 ] && [ "$(cluster_info "${REDIS_PORTS[0]}" cluster_slots_assigned)" = 0 ]; then
    nodes=()
    for port in "${REDIS_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$CLUSTER_DIR/redis/create.log" 2>&1 ||
      die "redis-cli --cluster create failed (see $CLUSTER_DIR/redis/create.log)"
  fi
  wait_for 60 redis_cluster_ok || die "the Redis Cluster is not healthy; run npm run cluster:down, then up again"
fi

# ------------------------------------------------------------------------------------- PostgreSQL primary + replica

PG_DIR="$CLUSTER_DIR/pg"
PRIMARY="$PG_DIR/primary"
REPLICA="$PG_DIR/replica"
pg_owned_dir "$PG_DIR"
psql_at() { "$PSQL" -h 127.0.0.1 -p "$1" -U postgres -d "${3:-postgres}" -XAtqc "$2"; }

pg_start() {
  local dir=$1 port=$2 name=$3
  if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then return 0; fi
  port_open "$port" && die "port $port is taken; choose another range with CLUSTER_PORT_BASE"
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$PG_DIR/$name.log" -w -t 60 start >/dev/null || die "PostgreSQL $name did not start (see $PG_DIR/$name.log)"
}

log "PostgreSQL primary on 127.0.0.1:$PG_PRIMARY_PORT, streaming replica on 127.0.0.1:$PG_REPLICA_PORT ($PG_BIN)"
if [ ! -f "$PRIMARY/PG_VERSION" ]; then
  as_pg "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 ||
    die "initdb failed (see $PG_DIR/initdb.log)"
  as_pg tee -a "$PRIMARY/postgresql.conf" >/dev/null <<EOF

# x18 local cluster
port = $PG_PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
wal_level = replica
max_wal_senders = 4
hot_standby = on
EOF
fi
pg_start "$PRIMARY" "$PG_PRIMARY_PORT" primary
if [ "$(psql_at "$PG_PRIMARY_PORT" "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]; then
  psql_at "$PG_PRIMARY_PORT" "create database $DB_NAME"
  # Behind PgBouncer the app's statement_timeout start-up parameter is dropped (ignore_startup_parameters):
  # the database carries the same default instead.
  psql_at "$PG_PRIMARY_PORT" "alter database $DB_NAME set statement_timeout = '15s'"
fi

if [ ! -f "$REPLICA/PG_VERSION" ]; then
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$REPLICA" -R -X stream -c fast >"$PG_DIR/basebackup.log" 2>&1 ||
    die "pg_basebackup failed (see $PG_DIR/basebackup.log)"
  # Read after postgresql.conf (which the base backup copied with the primary's port).
  as_pg tee -a "$REPLICA/postgresql.auto.conf" >/dev/null <<EOF
port = $PG_REPLICA_PORT
hot_standby_feedback = on
EOF
fi
pg_start "$REPLICA" "$PG_REPLICA_PORT" replica
replica_in_recovery() { [ "$(psql_at "$PG_REPLICA_PORT" 'select pg_is_in_recovery()')" = t ]; }
replica_streaming() { [ "$(psql_at "$PG_PRIMARY_PORT" "select count(*) from pg_stat_replication where state = 'streaming'")" -ge 1 ]; }
wait_for 30 replica_in_recovery || die "the replica is not in recovery (see $PG_DIR/replica.log)"
wait_for 30 replica_streaming || die "the replica does not stream from the primary (see $PG_DIR/replica.log)"

# ------------------------------------------------------------------------------------------------------- PgBouncer

PRIMARY_URL="postgres://postgres@127.0.0.1:$PG_PRIMARY_PORT/$DB_NAME"
REPLICA_URL="postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/$DB_NAME"
if [ -n "$PGBOUNCER" ]; then
  log "PgBouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT"
  BOUNCER_DIR="$CLUSTER_DIR/pgbouncer"
  pg_owned_dir "$BOUNCER_DIR"
  as_pg tee "$BOUNCER_DIR/pgbouncer.ini" >/dev/null <<EOF
[databases]
$DB_NAME = host=127.0.0.1 port=$PG_PRIMARY_PORT dbname=$DB_NAME user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
; node-pg sends statement_timeout as a start-up parameter, which PgBouncer refuses unless told to ignore it;
; the database's own default (ALTER DATABASE ... SET statement_timeout) applies instead.
ignore_startup_parameters = statement_timeout
logfile = $BOUNCER_DIR/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
EOF
  if ! pid_alive "$BOUNCER_DIR/pgbouncer.pid"; then
    port_open "$PGBOUNCER_PORT" && die "port $PGBOUNCER_PORT is taken; choose another range with CLUSTER_PORT_BASE"
    as_pg "$PGBOUNCER" -d "$BOUNCER_DIR/pgbouncer.ini" >/dev/null || die "PgBouncer did not start (see $BOUNCER_DIR/pgbouncer.log)"
  fi
  wait_for 15 psql_at "$PGBOUNCER_PORT" 'select 1' "$DB_NAME" || die "PgBouncer does not answer (see $BOUNCER_DIR/pgbouncer.log)"
  DATABASE_URL="postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$DB_NAME"
else
  log "no PgBouncer (not installed, or CLUSTER_PGBOUNCER=0): the apps connect to the primary directly"
  DATABASE_URL="$PRIMARY_URL"
fi

REDIS_NODES="$(printf '127.0.0.1:%s,' "${REDIS_PORTS[@]}")"
REDIS_NODES="${REDIS_NODES%,}"
cat >"$CLUSTER_DIR/cluster.env" <<EOF
# Written by scripts/cluster/up.sh: source it to point another process at the local cluster.
REDIS_CLUSTER_NODES=$REDIS_NODES
DATABASE_URL=$DATABASE_URL
DATABASE_REPLICA_URLS=$REPLICA_URL
CLUSTER_PRIMARY_URL=$PRIMARY_URL
CLUSTER_PGBOUNCER=$([ -n "$PGBOUNCER" ] && echo 1 || echo 0)
CLUSTER_REDIS_PORTS=$(
  IFS=,
  echo "${REDIS_PORTS[*]}"
)
CLUSTER_API_URLS=http://127.0.0.1:${API_PORTS[0]},http://127.0.0.1:${API_PORTS[1]}
CLUSTER_URL=http://127.0.0.1:$PROXY_PORT
EOF

if [ "$INFRA_ONLY" = 1 ]; then
  log "infrastructure ready; environment in $CLUSTER_DIR/cluster.env"
  exit 0
fi

# ------------------------------------------------------------------------------------------ API and worker processes

APP_DIR="$CLUSTER_DIR/app"
mkdir -p "$APP_DIR/media"
if [ ! -f "$APP_DIR/secrets.env" ]; then
  umask 077
  cat >"$APP_DIR/secrets.env" <<EOF
JWT_SECRET=$(openssl rand -hex 32)
ENCRYPTION_KEY=$(openssl rand -hex 32)
ADMIN_PASSWORD=$(openssl rand -base64 18 | tr -d '/+=')
EOF
  umask 022
fi
# shellcheck disable=SC1091
source "$APP_DIR/secrets.env"

cd "$ROOT"
if [ "${CLUSTER_RUNTIME:-dist}" = ts ]; then
  ENTRY=(-r "$ROOT/test/support/ts-register.js" "$ROOT/src/main.ts")
else
  if [ "${CLUSTER_BUILD:-1}" != 0 ] || [ ! -f "$ROOT/dist/src/main.js" ]; then
    log "npm run build"
    npm run --silent build >"$APP_DIR/build.log" 2>&1 || die "npm run build failed (see $APP_DIR/build.log)"
  fi
  ENTRY=("$ROOT/dist/src/main.js")
fi

APP_ENV=(
  NODE_ENV=production
  HOST=127.0.0.1
  DATABASE_URL="$DATABASE_URL"
  DATABASE_REPLICA_URLS="$REPLICA_URL"
  REDIS_CLUSTER_NODES="$REDIS_NODES"
  REDIS_PREFIX=x18
  DATA_DIR="$APP_DIR"
  MEDIA_DIR="$APP_DIR/media"
  PUBLIC_URL="http://127.0.0.1:$PROXY_PORT"
  JWT_SECRET="$JWT_SECRET"
  ENCRYPTION_KEY="$ENCRYPTION_KEY"
  ADMIN_USERNAME=admin
  ADMIN_EMAIL=admin@x18.local
  ADMIN_PASSWORD="$ADMIN_PASSWORD"
)
# Rate limits given to this script reach the apps (e.g. a higher RATE_LIMIT_POST_CREATE for a load test).
while IFS= read -r line; do APP_ENV+=("$line"); done < <(env | grep '^RATE_LIMIT_' || true)

start_app() {
  local name=$1 role=$2 port=${3:-0}
  if pid_alive "$APP_DIR/$name.pid"; then return 0; fi
  if [ "$port" != 0 ] && port_open "$port"; then die "port $port is taken; choose another range with CLUSTER_PORT_BASE"; fi
  local level="${CLUSTER_LOG_LEVEL:-info}"
  # A worker's readiness is its "running as worker" line, logged at info (workers log little else).
  if [ "$role" = worker ] && [[ "$level" =~ ^(warn|error|fatal|silent)$ ]]; then level=info; fi
  env "${APP_ENV[@]}" LOG_LEVEL="$level" APP_ROLE="$role" PORT="$port" nohup setsid node "${ENTRY[@]}" >"$APP_DIR/$name.log" 2>&1 &
  echo $! >"$APP_DIR/$name.pid"
}

app_up() {
  local name=$1 port=${2:-0}
  pid_alive "$APP_DIR/$name.pid" || return 2
  if [ "$port" != 0 ]; then curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready"; else grep -q 'running as worker' "$APP_DIR/$name.log"; fi
}

wait_app() {
  local name=$1 port=${2:-0} i status
  for ((i = 0; i < 300; i++)); do
    status=0
    app_up "$name" "$port" || status=$?
    [ "$status" = 0 ] && return 0
    [ "$status" = 2 ] && die "$name exited during start-up; its log ends with:$(printf '\n')$(tail -n 20 "$APP_DIR/$name.log")"
    sleep 0.2
  done
  die "$name did not come up in 60 s (see $APP_DIR/$name.log)"
}

if [ "$SINGLE" = 1 ]; then
  pid_alive "$APP_DIR/api-1.pid" && die "the 2+2 processes run: stop them first with npm run cluster:down -- --apps"
  log "one process (APP_ROLE=all) on 127.0.0.1:$SINGLE_PORT"
  start_app single all "$SINGLE_PORT"
  wait_app single "$SINGLE_PORT"
  log "ready: http://127.0.0.1:$SINGLE_PORT/api/v1 (first admin: admin / $ADMIN_PASSWORD)"
  exit 0
fi
pid_alive "$APP_DIR/single.pid" && die "the single process runs: stop it first with npm run cluster:down -- --apps"

log "2 API processes (127.0.0.1:${API_PORTS[0]}, :${API_PORTS[1]}) and 2 workers, started together"
start_app api-1 api "${API_PORTS[0]}"
start_app api-2 api "${API_PORTS[1]}"
start_app worker-1 worker
start_app worker-2 worker
wait_app api-1 "${API_PORTS[0]}"
wait_app api-2 "${API_PORTS[1]}"
wait_app worker-1
wait_app worker-2

if ! pid_alive "$APP_DIR/proxy.pid"; then
  port_open "$PROXY_PORT" && die "port $PROXY_PORT is taken; choose another range with CLUSTER_PORT_BASE"
  nohup setsid node "$ROOT/scripts/cluster/round-robin.js" "$PROXY_PORT" "127.0.0.1:${API_PORTS[0]},127.0.0.1:${API_PORTS[1]}" >"$APP_DIR/proxy.log" 2>&1 &
  echo $! >"$APP_DIR/proxy.pid"
fi
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$PROXY_PORT/health/live" || die "the round-robin does not answer (see $APP_DIR/proxy.log)"

cat <<EOF

  API (round-robin)   http://127.0.0.1:$PROXY_PORT/api/v1   docs /docs, queues /admin/queues, metrics /metrics
  API processes       http://127.0.0.1:${API_PORTS[0]}  http://127.0.0.1:${API_PORTS[1]}   (+ 2 workers)
  PostgreSQL          primary $PRIMARY_URL
                      replica $REPLICA_URL
  app's DATABASE_URL  $DATABASE_URL$([ -n "$PGBOUNCER" ] && echo '   (PgBouncer, transaction mode)')
  Redis Cluster       $REDIS_NODES
  first admin         admin / $ADMIN_PASSWORD
  logs                $APP_DIR/*.log
  environment         $CLUSTER_DIR/cluster.env
  stop and delete     npm run cluster:down

EOF
