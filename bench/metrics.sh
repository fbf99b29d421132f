#!/usr/bin/env bash
# Send throughput while /metrics is scraped every second (issue 15, benchmarks), against the same
# load without scraping, in the same run on the same server (bench/README.md, "/metrics under
# scrape"):
#
#   - one `sealpost serve` on SQLite in a temporary directory, alice and bob enrolled;
#   - one continuous http_send_load (8 HTTPS clients, 4 KiB messages alice → bob), its time cut
#     into BENCH_WINDOWS (32) windows of BENCH_WINDOW (2) seconds, alternately quiet and scraped
#     in the order q s s q q s s q …; in a scraped window GET /metrics is fetched over HTTPS once
#     a second (curl, as Prometheus at scrape_interval 1s); the sends of each window are counted
#     in the database (messages rows) at its two ends. Short interleaved windows under one load
#     keep a machine whose load drifts (a shared 2-CPU VM) from deciding the ratio;
#   - every scrape must answer 200 (the last one is checked by `promtool check metrics` when
#     promtool is installed).
#
# ratio = sends/s in scraped windows ÷ sends/s in quiet windows; target ≥ 0.97. A missed target
# prints FAIL and the script still exits 0; it exits non-zero only when something breaks.
# Usage: bash bench/metrics.sh BUILD_DIR   (a Release build, as `make bench-metrics` makes)
# Tunables: BENCH_WINDOWS (32, even), BENCH_WINDOW (2 s), BENCH_CLIENTS (8), BENCH_KEEP=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ARG=${1:-build-bench}
CLIENTS=${BENCH_CLIENTS:-8}
WINDOW=${BENCH_WINDOW:-2}  # whole seconds
WINDOWS=${BENCH_WINDOWS:-32}
TARGET=0.97

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
result() { sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" "$2" | tail -n 1; }

[[ -d $BUILD_ARG ]] || die "build directory $BUILD_ARG does not exist"
BUILD=$(cd "$BUILD_ARG" && pwd)
SEALPOST=$BUILD/src/cmd/sealpost
LOAD=$BUILD/bench/http_send_load
for exe in "$SEALPOST" "$LOAD"; do
  [[ -x $exe ]] || die "$exe is missing"
done
command -v curl >/dev/null || die "curl is not installed"
[[ $WINDOW =~ ^[1-9][0-9]*$ ]] || die "BENCH_WINDOW must be a whole number of seconds"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || echo "bench: warning: $BUILD is a '$build_type' build, not Release"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-metrics.XXXXXX")
SERVER_PID=
LOAD_PID=
SCRAPER_PID=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if [[ -n $LOAD_PID ]]; then kill "$LOAD_PID" 2>/dev/null || true; fi
  if [[ -n $SCRAPER_PID ]]; then kill "$SCRAPER_PID" 2>/dev/null || true; fi
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f $WORK/server.log ]]; then tail -n 20 "$WORK/server.log" >&2 || true; fi
  if [[ -n ${BENCH_KEEP:-} ]]; then echo "bench: kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "server"
mkdir -p "$WORK/data" "$WORK/static"
echo '<!doctype html><title>Sealpost bench</title>' >"$WORK/static/index.html"
cat >"$WORK/sealpost.toml" <<EOF
[server]
data_dir = "$WORK/data"

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
"$SEALPOST" serve --config "$WORK/sealpost.toml" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  grep -q "^Outgoing mail:" "$WORK/server.out" && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start-up"
  sleep 0.1
done
PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/server.out")
[[ -n $PORT ]] || die "the server did not print 'listening on' within 30 s"
CA=$WORK/data/tls/certificate.pem
echo "sealpost serve (pid $SERVER_PID) on https://127.0.0.1:$PORT"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
python3 "$ROOT/bench/enrol.py" --port "$PORT" --data-dir "$WORK/data" \
  alice@example.org bob@example.org >"$WORK/sessions.json" || die "enrolment failed"
session() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
    "$WORK/sessions.json" "$1" "$2"
}
ALICE_COOKIE=$(session alice@example.org cookie)
ALICE_CSRF=$(session alice@example.org csrf)

scrape() {  # scrape OUT: one GET /metrics; fails unless 200
  curl -sS --fail --cacert "$CA" -o "$1" "https://127.0.0.1:$PORT/metrics"
}
scrape "$WORK/metrics-first.txt" || die "GET /metrics failed before the load"
echo "GET /metrics: $(wc -l <"$WORK/metrics-first.txt") lines, $(wc -c <"$WORK/metrics-first.txt") bytes"

# One continuous load; its time is cut into BENCH_WINDOWS windows of BENCH_WINDOW seconds, quiet
# or scraped in the order q s s q q s s q … (so that a drift of the machine's load favours
# neither), and the sends of each window are counted in the database at its ends.
count() {
  python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=10)
print(db.execute("SELECT count(*) FROM messages").fetchone()[0])' "$WORK/data/sealpost.db"
}
now() { date +%s.%N; }
TOTAL=$(calc "%d" "$WINDOW * $WINDOWS + 4")
section "load: $CLIENTS clients for $TOTAL s; $WINDOWS windows of $WINDOW s, half with GET /metrics every second"
"$LOAD" --port "$PORT" --ca "$CA" --cookie "$ALICE_COOKIE" --csrf "$ALICE_CSRF" \
  --to bob@example.org --clients "$CLIENTS" --seconds "$TOTAL" --warmup 2 >"$WORK/load.txt" 2>&1 &
LOAD_PID=$!
sleep 2
QUIET_N=0 QUIET_S=0 SCRAPED_N=0 SCRAPED_S=0 SCRAPES=0 SCRAPE_FAILS=0
prev_n=$(count)
prev_t=$(now)
START=$prev_t
# The scraper keeps its own clock: at every whole second from START that falls in a scraped
# window, one GET /metrics in the background (a slow answer does not delay the next).
scraped() { (((($1 + 1) / 2) % 2 == 1)); }
scraper() {
  local k=0 left
  while ((k < WINDOW * WINDOWS)); do
    left=$(calc "%.3f" "$START + $k - $(now)")
    awk "BEGIN { exit !($left > 0) }" && sleep "$left"
    if scraped $((k / WINDOW)); then
      (scrape "$WORK/metrics-last.txt" 2>>"$WORK/scrape-errors.txt" && echo ok ||
        echo failed) >>"$WORK/scrapes.txt" &
    fi
    k=$((k + 1))
  done
  wait
}
scraper &
SCRAPER_PID=$!
for i in $(seq 0 $((WINDOWS - 1))); do
  # Windows end on a fixed schedule; each is measured from the previous count to its own.
  end=$(calc "%.3f" "$START + ($i + 1) * $WINDOW")
  if scraped "$i"; then kind=scraped; else kind=quiet; fi
  left=$(calc "%.3f" "$end - $(now)")
  awk "BEGIN { exit !($left > 0) }" && sleep "$left"
  n=$(count)
  t=$(now)
  sends=$((n - prev_n))
  secs=$(calc "%.3f" "$t - $prev_t")
  printf 'window %2d %-7s %5d sends in %s s = %6.1f /s\n' "$i" "$kind" "$sends" "$secs" \
    "$(calc "%.1f" "$sends / $secs")"
  if [[ $kind == scraped ]]; then
    SCRAPED_N=$((SCRAPED_N + sends))
    SCRAPED_S=$(calc "%.3f" "$SCRAPED_S + $secs")
  else
    QUIET_N=$((QUIET_N + sends))
    QUIET_S=$(calc "%.3f" "$QUIET_S + $secs")
  fi
  prev_n=$n
  prev_t=$t
done
load_rc=0
wait "$LOAD_PID" || load_rc=$?
LOAD_PID=
wait "$SCRAPER_PID" || true
SCRAPER_PID=
[[ $load_rc -eq 0 || $load_rc -eq 2 ]] || die "http_send_load failed (exit $load_rc): $(tail -n 3 "$WORK/load.txt")"
cat "$WORK/load.txt"
ERRORS=$(result errors "$WORK/load.txt")
SCRAPES=$(grep -c '^ok$' "$WORK/scrapes.txt" || true)
SCRAPE_FAILS=$(grep -c '^failed$' "$WORK/scrapes.txt" || true)

PROMTOOL="not installed"
if command -v promtool >/dev/null; then
  if promtool check metrics <"$WORK/metrics-last.txt" >"$WORK/promtool.txt" 2>&1; then
    PROMTOOL=ok
  else
    PROMTOOL="FAILED: $(head -n 3 "$WORK/promtool.txt")"
  fi
fi

Q=$(calc "%.1f" "$QUIET_N / $QUIET_S")
S=$(calc "%.1f" "$SCRAPED_N / $SCRAPED_S")
RATIO=$(calc "%.3f" "$S / $Q")

section "summary"
row() { printf '%-40s %-38s %-8s %s\n' "$@"; }
row "measure" "result" "target" "verdict"
row "send msgs/s, quiet windows" "$Q ($QUIET_N in $QUIET_S s)" "" ""
row "send msgs/s, /metrics every 1 s" "$S ($SCRAPED_N in $SCRAPED_S s)" "" ""
row "scraped / quiet" "$S / $Q = $RATIO" ">= $TARGET" "$(verdict "$RATIO >= $TARGET")"
row "scrapes answered (failed)" "$SCRAPES ($SCRAPE_FAILS)" "0 failed" "$(verdict "$SCRAPE_FAILS == 0 && $SCRAPES > 0")"
row "non-201 answers under load" "$ERRORS" "0" "$(verdict "$ERRORS == 0")"
row "promtool check metrics (last scrape)" "$PROMTOOL" "" ""
echo "RESULT quiet=$Q scraped=$S ratio=$RATIO scrapes=$SCRAPES scrape_failures=$SCRAPE_FAILS"
exit 0
