#!/usr/bin/env bash
# The README's quick start, run the way a newcomer runs it (docs/testing.md#the-newcomer-smoke):
#
#   scripts/newcomer-smoke.sh [--mode 0700|0755] [--commit <rev>]
#
# Clones the checked-out commit (HEAD; uncommitted changes are not in it) into a fresh `mktemp -d` folder with that
# mode (0700 by default: a private home such as /root; 0755: an ordinary folder), runs `npm ci`, then `npm start` with
# an empty environment apart from PATH and HOME (so: the embedded PostgreSQL on 54329, Redis at 127.0.0.1:6379). It
# waits for /health/ready on :3000, registers, logs in, posts and reads the home timeline with curl, stops the server
# with SIGTERM to the PID it started, starts it again and checks that the user, the post and the first admin survived
# (the admin's password, printed only on the first start, signs in after the restart). Prints each phase's time;
# exits non-zero when any part fails, with the server log's tail. Removes what it made on exit, however it ends.
set -euo pipefail

MODE=0700
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMIT=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE="$2"; shift 2 ;;
    --commit) COMMIT="$2"; shift 2 ;;
    -h | --help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$MODE" in 0700 | 0755) ;; *) echo "--mode is 0700 or 0755, not $MODE" >&2; exit 2 ;; esac

APP_PORT=3000
PG_PORT=54329
BASE="http://127.0.0.1:${APP_PORT}"
READY_SECONDS=${SMOKE_READY_SECONDS:-300}
STOP_SECONDS=40
# The embedded PostgreSQL as root keeps the data of a clone the postgres user cannot enter here (see
# src/common/database/embedded-postgres-root.ts); the smoke removes its own folder there.
SHARED_ROOT=/var/lib/x18-embedded-postgres

WORK=""
SERVER_PID=""
SERVER_LOG=""
DATA_ELSEWHERE=""
PHASES=()
T_ALL=$(date +%s.%N)

say() { printf '[newcomer-smoke %s] %s\n' "$MODE" "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
phase_start() {
  PHASE_NAME="$1"
  PHASE_T0=$(date +%s.%N)
  say "-- ${PHASE_NAME}"
}
phase_end() {
  local took
  took=$(seconds_since "$PHASE_T0")
  PHASES+=("$(printf '%-44s %6s s' "$PHASE_NAME" "$took")")
  say "   ${PHASE_NAME}: ${took} s"
}

# Whether something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

server_alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

# The server's process group (npm, the server, the embedded PostgreSQL it spawned): `setsid` made npm its leader.
group_alive() { [ -n "$SERVER_PID" ] && kill -0 -- "-$SERVER_PID" 2>/dev/null; }

cleanup() {
  local status=$?
  set +e
  if [ "$status" -ne 0 ] && [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
    say "server log, last 40 lines (${SERVER_LOG}):"
    tail -n 40 "$SERVER_LOG" | cut -c1-400
  fi
  if group_alive; then
    say "stopping what is left of the server's process group ${SERVER_PID}"
    kill -TERM -- "-$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 20); do group_alive || break; sleep 0.5; done
    group_alive && kill -KILL -- "-$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$DATA_ELSEWHERE" ] && [[ "$DATA_ELSEWHERE" == "$SHARED_ROOT"/data-* ]]; then rm -rf "$DATA_ELSEWHERE"; fi
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
  if [ "$status" -eq 0 ]; then
    say "PASSED in $(seconds_since "$T_ALL") s"
  else
    say "FAILED (exit ${status}) after $(seconds_since "$T_ALL") s"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# JSON field from stdin: `json '.access_token'`-like, as a JavaScript expression over `b` (no jq needed).
json() {
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const v = new Function("b", "return " + process.argv[1])(JSON.parse(s));
    process.stdout.write(v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
  });' "$1"
}

# api METHOD PATH EXPECTED_STATUS [TOKEN] [JSON_BODY]: the body on stdout; fails on another status.
api() {
  local method=$1 path=$2 expected=$3 token=${4:-} body=${5:-} out status
  out=$(mktemp -p "$WORK")
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" --max-time 30 "${BASE}/api/v1${path}")
  [ -n "$token" ] && args+=(-H "Authorization: Bearer ${token}")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  status=$(curl "${args[@]}") || fail "$method $path: curl failed"
  if [ "$status" != "$expected" ]; then
    fail "$method $path answered ${status}, expected ${expected}: $(head -c 600 "$out")"
  fi
  cat "$out"
}

login() { api POST /auth/login 200 "" "{\"login\":\"$1\",\"password\":\"$2\"}" | json 'b.access_token'; }

# Starts `npm start` in the clone, in a process group of its own, with only PATH and HOME; waits for /health/ready.
start_server() {
  SERVER_LOG="$1"
  (cd "$CLONE" && exec setsid env -i PATH="$PATH" HOME="$HOME" npm start >"$SERVER_LOG" 2>&1 </dev/null) &
  SERVER_PID=$!
  # setsid made npm the leader of a group of its own, so the clean-up reaches the server and PostgreSQL it leaves.
  local i
  for i in $(seq 1 50); do
    [ "$(ps -o pgid= -p "$SERVER_PID" | tr -d ' ')" = "$SERVER_PID" ] && break
    [ "$i" -lt 50 ] || fail "npm start (PID ${SERVER_PID}) did not become its process group's leader"
    sleep 0.1
  done
  local deadline=$((SECONDS + READY_SECONDS))
  until curl -sf --max-time 2 "${BASE}/health/ready" >/dev/null 2>&1; do
    server_alive || fail "npm start exited before /health/ready answered"
    [ "$SECONDS" -lt "$deadline" ] || fail "/health/ready did not answer within ${READY_SECONDS} s"
    sleep 0.5
  done
  say "   ready: $(curl -s "${BASE}/health/ready")"
}

# SIGTERM to the PID started (npm's): the server must stop, and the embedded PostgreSQL it started with it.
stop_server() {
  kill -TERM "$SERVER_PID"
  local deadline=$((SECONDS + STOP_SECONDS)) status=0
  while server_alive; do
    [ "$SECONDS" -lt "$deadline" ] || fail "npm start (PID ${SERVER_PID}) still running ${STOP_SECONDS} s after SIGTERM"
    sleep 0.2
  done
  wait "$SERVER_PID" || status=$?
  while group_alive; do
    [ "$SECONDS" -lt "$deadline" ] || fail "npm exited but its server or PostgreSQL still runs: $(pgrep -g "$SERVER_PID" -a | head -5 | tr '\n' ';')"
    sleep 0.2
  done
  [ "$status" -eq 0 ] || fail "npm start exited with status ${status} after SIGTERM (expected a clean 0)"
  ! port_busy "$APP_PORT" || fail "port ${APP_PORT} still answers after the server stopped"
  ! port_busy "$PG_PORT" || fail "port ${PG_PORT} still answers: the embedded PostgreSQL did not stop with the server"
  SERVER_PID=""
}

# ---------------------------------------------------------------------------------------------------------------------

phase_start "preflight (ports ${APP_PORT} and ${PG_PORT} free, Redis answers)"
for port in "$APP_PORT" "$PG_PORT"; do
  ! port_busy "$port" || fail "port ${port} is in use on 127.0.0.1; the smoke needs the defaults ${APP_PORT} and ${PG_PORT} free"
done
port_busy 6379 || fail "nothing answers on 127.0.0.1:6379: npm start needs Redis there (redis-server --daemonize yes)"
SHA=$(git -C "$REPO" rev-parse --verify "${COMMIT}^{commit}")
[ -z "$(git -C "$REPO" status --porcelain --untracked-files=no)" ] ||
  say "   note: ${REPO} has uncommitted changes; the smoke runs the commit ${SHA:0:12} without them"
phase_end

phase_start "git clone ${SHA:0:12} into a mktemp -d folder (${MODE})"
WORK=$(mktemp -d -t x18-newcomer.XXXXXX)
chmod "$MODE" "$WORK"
CLONE="$WORK/x18"
git clone --quiet --no-checkout "$REPO" "$CLONE"
# HEAD may be detached on a commit no branch holds (CI checks out a SHA): fetch it explicitly.
git -C "$CLONE" fetch --quiet "$REPO" "$SHA"
git -C "$CLONE" -c advice.detachedHead=false checkout --quiet "$SHA"
say "   $(stat -c '%a %U' "$WORK") ${WORK}; $(git -C "$CLONE" log --oneline -1 | cut -c1-100)"
phase_end

phase_start "npm ci"
(cd "$CLONE" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >"$WORK/npm-ci.log" 2>&1) ||
  { tail -n 30 "$WORK/npm-ci.log"; fail "npm ci failed"; }
phase_end

phase_start "first npm start until /health/ready (build, PostgreSQL, migrations)"
start_server "$WORK/start-1.log"
ADMIN_PASSWORD=$(sed -n 's/.*First admin created: username "admin", password "\([^"]*\)".*/\1/p' "$SERVER_LOG" | head -1)
[ -n "$ADMIN_PASSWORD" ] || fail "the first start printed no first-admin password on stdout"
DATA_ELSEWHERE=$(sed -n 's/.*data in \(\/[^ ,"]*\).*/\1/p' "$SERVER_LOG" | head -1)
grep -o 'running as root: [^"]*' "$SERVER_LOG" | head -1 | sed 's/^/   /' || true
phase_end

phase_start "register, log in, post, read the home timeline"
USERNAME="newcomer_$(date +%s)_$RANDOM"
PASSWORD="smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
CONTENT="Hello from a fresh clone, $(date -u +%FT%TZ) #newcomer"
api POST /auth/register 201 "" "{\"username\":\"${USERNAME}\",\"email\":\"${USERNAME}@example.test\",\"password\":\"${PASSWORD}\"}" |
  json 'b.user.username' | grep -qx "$USERNAME" || fail "register did not answer the new user"
TOKEN=$(login "$USERNAME" "$PASSWORD")
[ -n "$TOKEN" ] || fail "login answered no access_token"
POST_ID=$(api POST /posts 201 "$TOKEN" "{\"content\":\"${CONTENT}\"}" | json 'b.id')
[ -n "$POST_ID" ] || fail "POST /posts answered no id"
export POST_ID CONTENT
api GET /timelines/home 200 "$TOKEN" | json 'b.data.some((p) => p.id === process.env.POST_ID && p.content === process.env.CONTENT)' |
  grep -qx true || fail "the home timeline does not hold post ${POST_ID} with its content"
say "   ${USERNAME} posted ${POST_ID}; it is on the home timeline"
phase_end

phase_start "SIGTERM to npm start (PID ${SERVER_PID}) until it and PostgreSQL exit"
stop_server
phase_end

phase_start "second npm start until /health/ready"
start_server "$WORK/start-2.log"
! grep -q 'First admin created' "$SERVER_LOG" || fail "the second start created a first admin again"
! grep -qF "$ADMIN_PASSWORD" "$SERVER_LOG" || fail "the second start printed the admin password again"
phase_end

phase_start "after the restart: user, post and first admin"
TOKEN=$(login "$USERNAME" "$PASSWORD")
[ -n "$TOKEN" ] || fail "the user cannot log in after the restart"
api GET /timelines/home 200 "$TOKEN" | json 'b.data.some((p) => p.id === process.env.POST_ID && p.content === process.env.CONTENT)' | grep -qx true ||
  fail "post ${POST_ID} is gone from the home timeline after the restart"
ADMIN_TOKEN=$(login admin "$ADMIN_PASSWORD")
api GET /me 200 "$ADMIN_TOKEN" | json 'b.role' | grep -qx admin || fail "the first admin is no admin after the restart"
say "   ${USERNAME} logs in, post ${POST_ID} on the home timeline, admin logs in with the first start's password"
phase_end

phase_start "SIGTERM again"
stop_server
phase_end

say "timings:"
for line in "${PHASES[@]}"; do say "   ${line}"; done
