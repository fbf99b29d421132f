#!/usr/bin/env bash
# Send throughput on PostgreSQL (issue 4, done-when 4), beside pgbench on the same server in the
# same run:
#
#   1. pgbench simple-update (-N) TPS against a throw-away cluster (tests/postgres/pg.sh, fsync
#      on) — the baseline: what this PostgreSQL on this disk commits per second;
#   2. http_send_load (POST /api/v1/messages, 4 KiB messages alice → bob) against ONE
#      `sealpost serve` on that cluster;
#   3. the same load split over TWO `sealpost serve` processes sharing the data directory and
#      the database (half the clients on each), summed.
#
#   4. evidence_send_bench --postgres (issue 14, benchmark 2): sends through app::Mailbox in 2
#      processes with the transparency log against the same with event logging switched off,
#      each side on its own database of that cluster, same run (bench/README.md).
#
# Targets: 2 processes ≥ 0.9 × 1 process; 1 process ≥ 0.3 × pgbench TPS; with the log ≥ 0.95 ×
# without (2 processes). A missed target prints FAIL and the script still exits 0; it exits
# non-zero only when something breaks.
# Usage: bash bench/postgres.sh BUILD_DIR   (a Release build, as `make bench` makes)
# Tunables: BENCH_SECONDS (10), BENCH_CLIENTS (8), BENCH_KEEP=1 keeps the work directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ARG=${1:-build-bench}
SECONDS_MEASURED=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-8}
PGBIN=${SEALPOST_PGBIN:-/usr/lib/postgresql/15/bin}
PG_SH=$ROOT/tests/postgres/pg.sh

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
result() { sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" "$2" | tail -n 1; }

[[ -d $BUILD_ARG ]] || die "build directory $BUILD_ARG does not exist"
BUILD=$(cd "$BUILD_ARG" && pwd)
SEALPOST=$BUILD/src/cmd/sealpost
LOAD=$BUILD/bench/http_send_load
EVIDENCE=$BUILD/bench/evidence_send_bench
for exe in "$SEALPOST" "$LOAD" "$EVIDENCE" "$PGBIN/pgbench"; do
  [[ -x $exe ]] || die "$exe is missing"
done
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || echo "bench: warning: $BUILD is a '$build_type' build, not Release"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-pgbench.XXXXXX")
chmod 0755 "$WORK"
PIDS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  bash "$PG_SH" stop "$WORK/pg" >/dev/null 2>&1 || true
  if [[ -n ${BENCH_KEEP:-} ]]; then
    echo "bench: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "PostgreSQL"
bash "$PG_SH" start "$WORK/pg" >/dev/null
STORE_URL=$(bash "$PG_SH" createdb "$WORK/pg" sealpost)
bash "$PG_SH" createdb "$WORK/pg" pgbench >/dev/null
PGBENCH_URL=$(bash "$PG_SH" url "$WORK/pg" pgbench)
echo "cluster in $WORK/pg ($(df -h --output=source,fstype "$WORK" | tail -n 1 | tr -s ' ')), fsync on"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"

# Every measured phase starts right after a checkpoint, and no checkpoint starts inside one. With
# the default max_wal_size (1 GB) PostgreSQL begins a checkpoint once ~550 MB of WAL have been
# written, which here is about 30 s into the Sealpost load: from then on each first change to a
# page logs the whole page, and the throughput of whichever phase it lands in drops by a fifth.
# That would compare phases under different server states rather than 1 process with 2.
psql -X -q -d "$STORE_URL" -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" \
  >/dev/null || die "could not set max_wal_size"
checkpoint() { psql -X -q -d "$STORE_URL" -c "CHECKPOINT" || die "CHECKPOINT failed"; }

run_pgbench() {  # run_pgbench OUT
  "$PGBIN/pgbench" -n -N -c "$CLIENTS" -j 2 -T "$SECONDS_MEASURED" "$PGBENCH_URL" >"$1" 2>&1 ||
    die "pgbench failed: $(tail -n 3 "$1")"
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1" | tail -n 1
}

section "baseline: pgbench simple-update (-N), $CLIENTS clients"
"$PGBIN/pgbench" -i -q -s 1 "$PGBENCH_URL" >"$WORK/pgbench-init.txt" 2>&1 ||
  die "pgbench -i failed: $(tail -n 3 "$WORK/pgbench-init.txt")"
checkpoint
TPS_BEFORE=$(run_pgbench "$WORK/pgbench-before.txt")
echo "before the load: $TPS_BEFORE TPS"

mkdir -p "$WORK/data" "$WORK/static"
echo '<!doctype html><title>Sealpost bench</title>' >"$WORK/static/index.html"
write_config() {  # write_config FILE
  cat >"$1" <<EOF
[server]
data_dir = "$WORK/data"

[store]
url = "$STORE_URL"
max_connections = 16

[http]
port = 0
static_dir = "$WORK/static"

# The SMTP submission listeners on ephemeral ports: processes of one run never collide.
[smtp.submission]
port = 0

[smtp.submissions]
port = 0

[auth]
argon2_ops = 2
argon2_memory_bytes = 19922944
EOF
}

start_server() {  # start_server NAME -> sets PORT
  write_config "$WORK/$1.toml"
  "$SEALPOST" serve --config "$WORK/$1.toml" >"$WORK/$1.out" 2>"$WORK/$1.log" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do
    grep -q "^Outgoing mail:" "$WORK/$1.out" && break
    kill -0 "$pid" 2>/dev/null || die "$1 exited during start-up: $(tail -n 5 "$WORK/$1.log")"
    sleep 0.1
  done
  PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/$1.out")
  [[ -n $PORT ]] || die "$1 did not start within 30 s"
  grep -q "Database: PostgreSQL" "$WORK/$1.out" || die "$1 is not on PostgreSQL"
}

section "servers"
start_server one
PORT_ONE=$PORT
python3 "$ROOT/bench/enrol.py" --port "$PORT_ONE" --data-dir "$WORK/data" \
  --store-url "$STORE_URL" alice@example.org bob@example.org >"$WORK/sessions.json" || die "enrolment failed"
ALICE_COOKIE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alice@example.org"]["cookie"])' "$WORK/sessions.json")
ALICE_CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alice@example.org"]["csrf"])' "$WORK/sessions.json")
CA=$WORK/data/tls/certificate.pem
echo "process 1 on port $PORT_ONE; alice and bob enrolled"

load() {  # load PORT CLIENTS OUT
  local rc=0
  "$LOAD" --port "$1" --ca "$CA" --cookie "$ALICE_COOKIE" --csrf "$ALICE_CSRF" \
    --to bob@example.org --clients "$2" --seconds "$SECONDS_MEASURED" >"$3" 2>&1 || rc=$?
  [[ $rc -eq 0 || $rc -eq 2 ]] || die "http_send_load failed (exit $rc): $(tail -n 3 "$3")"
}

section "Sealpost, 1 process, $CLIENTS clients"
checkpoint
load "$PORT_ONE" "$CLIENTS" "$WORK/load-1.txt"
cat "$WORK/load-1.txt"
ONE=$(result messages_per_s "$WORK/load-1.txt")
ERR_ONE=$(result errors "$WORK/load-1.txt")

start_server two
PORT_TWO=$PORT
section "Sealpost, 2 processes (ports $PORT_ONE and $PORT_TWO), $((CLIENTS / 2)) clients each"
checkpoint
# The session made on process 1 is served by process 2: same cookie, same CSRF token.
load "$PORT_ONE" $((CLIENTS / 2)) "$WORK/load-2a.txt" &
LOAD_A=$!
load "$PORT_TWO" $((CLIENTS - CLIENTS / 2)) "$WORK/load-2b.txt"
wait "$LOAD_A" || die "the load against process 1 failed"
cat "$WORK/load-2a.txt" "$WORK/load-2b.txt"
TWO=$(calc "%.1f" "$(result messages_per_s "$WORK/load-2a.txt") + $(result messages_per_s "$WORK/load-2b.txt")")
ERR_TWO=$(calc "%d" "$(result errors "$WORK/load-2a.txt") + $(result errors "$WORK/load-2b.txt")")

section "baseline: pgbench simple-update (-N), after the load"
checkpoint
TPS_AFTER=$(run_pgbench "$WORK/pgbench-after.txt")
echo "after the load: $TPS_AFTER TPS"
TPS=$(calc "%.1f" "($TPS_BEFORE > $TPS_AFTER) ? $TPS_BEFORE : $TPS_AFTER")

section "evidence: 2 processes, sends with the log vs event logging switched off"
# Two databases of their own, so that neither side's rows slow the other's queries.
EVIDENCE_LOG_URL=$(bash "$PG_SH" createdb "$WORK/pg" evidence_log)
EVIDENCE_NOLOG_URL=$(bash "$PG_SH" createdb "$WORK/pg" evidence_nolog)
checkpoint
"$EVIDENCE" --postgres "$EVIDENCE_LOG_URL" "$EVIDENCE_NOLOG_URL" 2 "$SECONDS_MEASURED" |
  tee "$WORK/evidence.txt" || die "evidence_send_bench failed"
EVIDENCE_WITH=$(result with_log "$WORK/evidence.txt")
EVIDENCE_WITHOUT=$(result without_log "$WORK/evidence.txt")
EVIDENCE_RATIO=$(result ratio "$WORK/evidence.txt")
[[ -n $EVIDENCE_RATIO ]] || die "evidence_send_bench printed no result"

# Every message sent is in the database once (the load drivers count 201 answers).
SENT=$(psql -X -A -t -d "$STORE_URL" -c "SELECT count(*) FROM messages")
AUDIT=$(bash -c "'$SEALPOST' verify audit --data-dir '$WORK/data' --store-url '$STORE_URL'" |
  head -n 1)

section "summary"
SCALE=$(calc "%.2f" "$TWO / $ONE")
VS_PG=$(calc "%.2f" "$ONE / $TPS")
row() { printf '%-44s %-34s %-8s %s\n' "$@"; }
row "measure" "result" "target" "verdict"
row "pgbench simple-update TPS (higher of 2)" "$TPS (before $TPS_BEFORE, after $TPS_AFTER)" "" ""
row "send msgs/s, 1 process" "$ONE" "" ""
row "send msgs/s, 2 processes" "$TWO" "" ""
row "2 processes / 1 process" "$TWO / $ONE = $SCALE" ">= 0.9" "$(verdict "$SCALE >= 0.9")"
row "1 process / pgbench TPS" "$ONE / $TPS = $VS_PG" ">= 0.3" "$(verdict "$VS_PG >= 0.3")"
row "non-201 answers under load" "$ERR_ONE + $ERR_TWO" "0" \
  "$(verdict "$ERR_ONE + $ERR_TWO == 0")"
row "messages stored" "$SENT" "" ""
row "evidence, 2 processes: with log / without" \
  "$EVIDENCE_WITH / $EVIDENCE_WITHOUT = $EVIDENCE_RATIO" ">= 0.95" \
  "$(verdict "$EVIDENCE_RATIO >= 0.95")"
echo "audit log after the run: $AUDIT"
exit 0
