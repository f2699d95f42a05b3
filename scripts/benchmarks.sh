#!/usr/bin/env bash
# The ingest figures of BENCHMARKS.md, both backends and the raw-insert limit in one run.
#
#   scripts/benchmarks.sh [FOLDER]
#
# Builds the release binaries, then in FOLDER (default: a new folder under /tmp, on the disk
# being measured) runs the same sequence against a fresh SQLite database and a fresh
# PostgreSQL cluster (Debian's package, started here on a free port, removed at the end):
# batched ingest, one checklist per request closed loop, then open loop at 3,000/s (three
# times) and 2,000/s, the server's peak memory, and the raw SQLite insert limit. Every figure
# is printed as the load generator prints it; copy them into BENCHMARKS.md with the date,
# the commit and the machine (`lscpu`).
#
# Takes about 15 minutes on two cores. Needs nothing running on ports 8181 and 8183.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=${1:-$(mktemp -d /tmp/eom-bench.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
cargo build --release -q -p eom-server -p eom-loadgen
R=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release
export EOM_LOG=warn
SERVER=
PG=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  if [ -n "$PG" ]; then as_pg "$PG/bin/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null || true; fi
  return 0
}
trap cleanup EXIT

# initdb refuses to run as root: the cluster then belongs to the package's postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + changes')"
lscpu | grep -E '^(Model name|CPU\(s\)):' | sed 's/  */ /g'
free -g | awk '/Mem:/ {print "Memory: " $2 " GiB"}'

wait_ready() {
  for _ in $(seq 1 100); do
    curl -fs "$1/api/v1/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the server at $1 did not start" >&2
  exit 1
}

# One backend's sequence: DB is a file name or a postgres:// URL.
sequence() {
  local name=$1 db=$2 port=$3
  local url=http://127.0.0.1:$port
  echo
  echo "== $name"
  "$R/eom-loadgen" prepare --db "$db" --observers 256 --stations 2000 --out "$WORK/$name-tokens.json"
  "$R/eom-server" --db "$db" serve --listen "127.0.0.1:$port" >"$WORK/$name-server.log" 2>&1 &
  SERVER=$!
  wait_ready "$url"
  run() {
    echo "-- $*"
    "$R/eom-loadgen" ingest --url "$url" --tokens "$WORK/$name-tokens.json" "$@"
  }
  run --mode batched --batch-size 200 --concurrency 8 --duration 60
  run --mode single --concurrency 64 --duration 30
  for _ in 1 2 3; do run --mode single --rate 3000 --duration 30; done
  run --mode single --rate 2000 --duration 30
  grep VmHWM "/proc/$SERVER/status"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=
}

sequence sqlite "$WORK/load.db" 8181

echo
echo "== raw SQLite insert limit (same disk)"
"$R/eom-loadgen" raw-sqlite --db "$WORK/raw-bound.db" --rows 200000 --batch 2000

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PG_BIN" ]; then
  echo "PostgreSQL is not installed (apt-get install postgresql): its sequence is skipped"
  exit 0
fi
PG=$(dirname "$PG_BIN")
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 5544)
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" && chmod 755 "$WORK"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=15min" >/dev/null
echo
"$PG_BIN/postgres" --version
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres eom
sequence postgresql "postgres://postgres@127.0.0.1:$PG_PORT/eom" 8183
