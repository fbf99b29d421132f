#!/usr/bin/env bash
# Sealpost benchmarks, each reported as a ratio to a baseline measured in the same run on the
# same machine and disk (see bench/README.md). Run by `make bench`, or: bash bench/run.sh BUILD_DIR
#
#   1. send throughput: http_send_load (8 HTTPS clients, 4 KiB messages alice → bob) against
#      sqlite_baseline (one durable 4 KiB SQLite transaction per row); target ≥ 0.5 × baseline.
#   2. attachments: a 1 GiB file uploaded as alice and downloaded as bob with curl, SHA-256
#      compared; upload and download MB/s against aead_baseline (raw libsodium
#      XChaCha20-Poly1305 secretstream on one core); target ≥ 0.5 × raw rate.
#   3. memory: the server's peak RSS (VmHWM) after the transfers; target ≤ 128 MiB.
#   4. OpenPGP: pgp_encrypt_bench, per-recipient encrypt+sign of a 10 KiB message through
#      pgp::EncryptAndSign against a bare RNP loop in the same process; target ≥ 0.8 × bare.
#   5. S/MIME: per-recipient sign+encrypt of a 10 KiB message through smime::SignAndEncrypt
#      (P-256 and RSA-3072 recipients) against a bare OpenSSL CMS_sign + CMS_encrypt loop in
#      the same run (smime_sign_encrypt); target ≥ 0.8 × baseline.
#   6. transparency log (log_bench): sequencing events/s on SQLite, target ≥ 20,000/s; tile
#      reads and time of one inclusion proof in a log of BENCH_LOG_EVENTS (10^6) entries.
#   7. receipts (receipt_issue_bench): issuing one receipt (CMS sign + RFC 3161 token + log
#      proof) through receipts::ReceiptIssuer against a bare OpenSSL loop of the same
#      operations in the same run; target ≥ 0.8 × baseline.
#   8. secure copies (secure_copy_bench): the whole per-recipient copy (delivery::BuildSecureCopy:
#      MIME with header protection, sign, encrypt, outer message) for P-256, RSA-3072 and
#      Cv25519 recipients against the bare OpenSSL / RNP loops; target ≥ 0.8 × bare.
#   9. evidence (evidence_send_bench): sends with the transparency log against sends with event
#      recording switched off, one process on SQLite, same run; target ≥ 0.9 ×.
#
# A missed target is printed as FAIL and the script still exits 0; it exits non-zero only when
# something breaks (server does not start, enrolment or an upload fails, bytes differ…).
# Tunables (environment): BENCH_SECONDS (10), BENCH_CLIENTS (8), BENCH_ATTACHMENT_MIB (1024);
# BENCH_KEEP=1 keeps the temporary directory (server log, data) for inspection.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ARG=${1:-build}
SECONDS_MEASURED=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-8}
ATTACHMENT_MIB=${BENCH_ATTACHMENT_MIB:-1024}
RSS_TARGET_MIB=128
RATIO_TARGET=0.5

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

[[ -d $BUILD_ARG ]] || die "build directory $BUILD_ARG does not exist (run: make bench)"
BUILD=$(cd "$BUILD_ARG" && pwd)
for tool in curl python3 openssl awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

# Benchmarks mean nothing on an unoptimised build. `make bench` asks for Release, but CMake keeps
# the type cached when the directory was configured before; switch it here rather than measure
# the wrong binary.
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
if [[ $build_type != Release ]]; then
  echo "bench: $BUILD is configured as '${build_type:-unknown}'; reconfiguring it as Release"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target sealpost http_send_load sqlite_baseline aead_baseline \
    pgp_encrypt_bench smime_sign_encrypt log_bench receipt_issue_bench secure_copy_bench \
    evidence_send_bench
fi
SEALPOST=$BUILD/src/cmd/sealpost
for exe in "$SEALPOST" "$BUILD/bench/http_send_load" "$BUILD/bench/sqlite_baseline" \
  "$BUILD/bench/aead_baseline" "$BUILD/bench/pgp_encrypt_bench" "$BUILD/bench/smime_sign_encrypt" \
  "$BUILD/bench/log_bench" "$BUILD/bench/receipt_issue_bench" "$BUILD/bench/secure_copy_bench" \
  "$BUILD/bench/evidence_send_bench"; do
  [[ -x $exe ]] || die "$exe is missing; build first (make bench)"
done

# Everything (server data, SQLite baseline, the 1 GiB files) lives in one temporary directory,
# so the baselines and the server see the same disk.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-bench.XXXXXX")
SERVER_PID=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if [[ -n ${CEILING_PID:-} ]]; then kill "$CEILING_PID" 2>/dev/null || true; fi
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 200); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f $WORK/server.log ]]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 20 "$WORK/server.log" >&2 || true
  fi
  if [[ -n ${BENCH_KEEP:-} ]]; then
    rm -f "$WORK/attachment.bin" "$WORK/download.bin"
    echo "bench: kept $WORK (server.log, sealpost.toml, data/)" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# result KEY FILE: the value of KEY= on the RESULT line a bench program printed.
result() { sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" "$2" | tail -n 1; }
# calc EXPR: floating-point arithmetic (awk), printed with the given format.

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
# The minimum argon2id cost the server accepts: enrolment is not what is measured.
argon2_ops = 2
argon2_memory_bytes = 19922944

[limits]
max_upload_bytes = $((2 << 30))
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
URL=https://127.0.0.1:$PORT
echo "sealpost serve (pid $SERVER_PID, $(basename "$BUILD") ${build_type:-Release} build) on $URL"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; other work skews results)"
echo "data in $WORK/data ($(df -h --output=source,fstype "$WORK" | tail -n 1 | tr -s ' '))"

# Log-in sessions for alice and bob, through the integration-test harness.
python3 "$ROOT/bench/enrol.py" --port "$PORT" --data-dir "$WORK/data" \
  alice@example.org bob@example.org >"$WORK/sessions.json" || die "enrolment failed"
session() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
    "$WORK/sessions.json" "$1" "$2"
}
ALICE_COOKIE=$(session alice@example.org cookie)
ALICE_CSRF=$(session alice@example.org csrf)
BOB_COOKIE=$(session bob@example.org cookie)
echo "enrolled alice@example.org and bob@example.org"

# The baseline runs right before and right after the load, and the higher of the two counts: a
# disk shared with other work (a compiler, another benchmark) can slow one run down severalfold,
# and a depressed baseline would flatter the ratio.
section "send throughput: baseline (raw SQLite, same disk), before the load"
"$BUILD/bench/sqlite_baseline" --dir "$WORK" --seconds "$SECONDS_MEASURED" |
  tee "$WORK/sqlite-before.txt"

section "send throughput: Sealpost (POST /api/v1/messages, $CLIENTS clients)"
load_rc=0
"$BUILD/bench/http_send_load" --port "$PORT" --ca "$CA" --cookie "$ALICE_COOKIE" \
  --csrf "$ALICE_CSRF" --to bob@example.org --clients "$CLIENTS" \
  --seconds "$SECONDS_MEASURED" | tee "$WORK/load.txt" || load_rc=$?
# 2 = the run completed but some requests were not answered 201 (reported as a failed target).
[[ $load_rc -eq 0 || $load_rc -eq 2 ]] || die "http_send_load failed (exit $load_rc)"
MSGS=$(result messages_per_s "$WORK/load.txt")
P50=$(result p50_ms "$WORK/load.txt")
P99=$(result p99_ms "$WORK/load.txt")
SEND_ERRORS=$(result errors "$WORK/load.txt")
HWM_AFTER_LOAD_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")

section "send throughput: baseline (raw SQLite, same disk), after the load"
"$BUILD/bench/sqlite_baseline" --dir "$WORK" --seconds "$SECONDS_MEASURED" |
  tee "$WORK/sqlite-after.txt"
BASE_BEFORE=$(result rows_per_s "$WORK/sqlite-before.txt")
BASE_AFTER=$(result rows_per_s "$WORK/sqlite-after.txt")
BASE_ROWS=$(calc "%.1f" "($BASE_BEFORE > $BASE_AFTER) ? $BASE_BEFORE : $BASE_AFTER")
SEND_RATIO=$(calc "%.2f" "$MSGS / $BASE_ROWS")
echo "baseline: $BASE_ROWS rows/s (before $BASE_BEFORE, after $BASE_AFTER: the higher counts)"
echo "ratio: $MSGS messages/s / $BASE_ROWS rows/s = $SEND_RATIO (target ≥ $RATIO_TARGET)"

section "attachment: ${ATTACHMENT_MIB} MiB upload and download with curl"
FILE=$WORK/attachment.bin
SIZE=$((ATTACHMENT_MIB << 20))
# Random bytes, as real attachments are mostly incompressible; hashed while written.
# OpenSSL's SHA-256 (with the CPU's SHA instructions) rather than coreutils' sha256sum, which
# is four times slower here and would take the cores from the server during the download.
sha256() { openssl dgst -sha256 -r | cut -d' ' -f1; }
SHA_SENT=$(head -c "$SIZE" /dev/urandom | tee "$FILE" | sha256)
echo "generated $FILE, sha256 $SHA_SENT"

# curl streams the file from disk (-T) with a Content-Length; "Expect:" disables the
# 100-continue round trip so the timing is the transfer alone.
curl_out=$(curl -sS --cacert "$CA" -X POST -T "$FILE" -H "Expect:" \
  -H "Content-Type: application/octet-stream" -H "Cookie: $ALICE_COOKIE" \
  -H "X-CSRF-Token: $ALICE_CSRF" -o "$WORK/upload.json" \
  -w '%{http_code} %{size_upload} %{time_total}' "$URL/api/v1/uploads") ||
  die "upload: curl failed"
read -r code up_bytes up_time <<<"$curl_out"
[[ $code == 201 ]] || die "upload: HTTP $code $(head -c 300 "$WORK/upload.json")"
[[ $up_bytes == "$SIZE" ]] || die "upload: curl sent $up_bytes bytes, expected $SIZE"
UPLOAD_ID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' \
  "$WORK/upload.json")
UP_MBS=$(calc "%.1f" "$SIZE / 1e6 / $up_time")
echo "upload:   $SIZE bytes in ${up_time}s = $UP_MBS MB/s (upload id $UPLOAD_ID)"

code=$(curl -sS --cacert "$CA" -X POST -H "Content-Type: application/json" \
  -H "Cookie: $ALICE_COOKIE" -H "X-CSRF-Token: $ALICE_CSRF" -o "$WORK/send.json" \
  -w '%{http_code}' --data-binary @- "$URL/api/v1/messages" <<EOF
{"to":["bob@example.org"],"subject":"bench attachment","text":"1 GiB attached.",
 "attachments":[{"upload_id":"$UPLOAD_ID","name":"big.bin"}]}
EOF
) || die "send with attachment: curl failed"
[[ $code == 201 ]] || die "send with attachment: HTTP $code $(head -c 300 "$WORK/send.json")"
MESSAGE_ID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' \
  "$WORK/send.json")

code=$(curl -sS --cacert "$CA" -H "Cookie: $BOB_COOKIE" -o "$WORK/message.json" \
  -w '%{http_code}' "$URL/api/v1/messages/$MESSAGE_ID") || die "read message: curl failed"
[[ $code == 200 ]] || die "bob reads the message: HTTP $code $(head -c 300 "$WORK/message.json")"

# Context, not a target: the same file, the same curl, the same TLS 1.3 on loopback, served by
# `openssl s_server -WWW` (a file read and TLS, nothing else), and the disk's durable write rate
# (dd ... conv=fdatasync). They bound what any HTTPS server can do here for a download and an
# upload respectively; on a 2-core machine the client's TLS shares the cores with the server's.
TLS_KEY=$WORK/ceiling-key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLS_KEY" \
  -out "$WORK/ceiling-cert.pem" -subj /CN=127.0.0.1 -days 1 2>/dev/null ||
  die "openssl could not create the reference server's certificate"
CEILING_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$WORK" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$CEILING_PORT" \
  -cert ceiling-cert.pem -key ceiling-key.pem) >/dev/null 2>&1 &
CEILING_PID=$!
for _ in $(seq 1 50); do
  curl -s -o /dev/null --cacert "$WORK/ceiling-cert.pem" "https://127.0.0.1:$CEILING_PORT/" &&
    break
  sleep 0.1
done
ceiling_out=$(curl -sS --cacert "$WORK/ceiling-cert.pem" -o /dev/null \
  -w '%{http_code} %{size_download} %{time_total}' \
  "https://127.0.0.1:$CEILING_PORT/attachment.bin") || die "reference download: curl failed"
kill "$CEILING_PID" 2>/dev/null || true
wait "$CEILING_PID" 2>/dev/null || true
read -r code ceiling_bytes ceiling_time <<<"$ceiling_out"
[[ $code == 200 && $ceiling_bytes == "$SIZE" ]] ||
  die "reference download: HTTP $code, $ceiling_bytes bytes"
TLS_MBS=$(calc "%.1f" "$SIZE / 1e6 / $ceiling_time")
echo "reference: openssl s_server -WWW, same file and curl: $TLS_MBS MB/s"
dd_rate() {  # dd_rate DD-ARGS...: MB/s of dd copying the file with those arguments
  local out
  out=$(dd if="$FILE" of="$WORK/dd.bin" "$@" 2>&1 | tail -n 1)
  rm -f "$WORK/dd.bin"
  awk -v line="$out" 'BEGIN { split(line, f, " "); for (i in f) if (f[i] == "s,") t = f[i - 1]; printf "%.1f", '"$SIZE"' / 1e6 / t }'
}
DISK_MBS=$(dd_rate bs=64k conv=fdatasync)
echo "reference: dd bs=64k conv=fdatasync of the same file (through the page cache): $DISK_MBS MB/s"
# Blob files are written with O_DIRECT where the filesystem allows (platform/filesystem.h).
DIRECT_MBS=$(dd_rate bs=1M oflag=direct conv=fdatasync)
echo "reference: dd bs=1M oflag=direct conv=fdatasync (past the page cache): $DIRECT_MBS MB/s"

# Timed like the reference above: curl discards the body. The server withholds a download's
# last byte until the whole plaintext has matched its sealed digest, so a complete 200 already
# says the server checked it; the bytes themselves are compared by a second, untimed download
# below. (Hashing in the timed run would time the client's SHA-256 on the server's cores.)
download_to() {  # download_to FILE: curl's "code bytes seconds" on stderr into $WORK/download.txt
  curl -sS --cacert "$CA" -H "Cookie: $BOB_COOKIE" -o "$1" \
    -w '%{stderr}%{http_code} %{size_download} %{time_total}' \
    "$URL/api/v1/messages/$MESSAGE_ID/attachments/0" 2>"$WORK/download.txt"
}
download_to /dev/null || die "download: curl failed: $(head -c 300 "$WORK/download.txt")"
read -r code down_bytes down_time <"$WORK/download.txt" || true  # no final newline
[[ $code == 200 ]] || die "download: HTTP $code"
[[ $down_bytes == "$SIZE" ]] || die "download: $down_bytes bytes, expected $SIZE"
DOWN_MBS=$(calc "%.1f" "$down_bytes / 1e6 / $down_time")
echo "download: $down_bytes bytes in ${down_time}s = $DOWN_MBS MB/s"
set +e
download_to - | sha256 >"$WORK/download.sha"
curl_rc=${PIPESTATUS[0]}
set -e
[[ $curl_rc -eq 0 ]] || die "download for the hash: curl failed: $(head -c 300 "$WORK/download.txt")"
SHA_RECEIVED=$(cat "$WORK/download.sha")
rm -f "$FILE"
SHA_OK=FAIL
[[ $SHA_RECEIVED == "$SHA_SENT" ]] && SHA_OK=PASS
echo "sha256 of the download: $SHA_RECEIVED ($([[ $SHA_OK == PASS ]] && echo equal || echo DIFFERENT))"

HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")
RSS_MIB=$(calc "%.1f" "$HWM_KB / 1024")
echo "server peak RSS (VmHWM): $RSS_MIB MiB" \
  "(after the send load: $(calc "%.1f" "$HWM_AFTER_LOAD_KB / 1024") MiB)"

section "attachment: baseline (raw libsodium XChaCha20-Poly1305, one core)"
"$BUILD/bench/aead_baseline" | tee "$WORK/aead.txt"
RAW_MBS=$(result push_mb_s "$WORK/aead.txt")
UP_RATIO=$(calc "%.2f" "$UP_MBS / $RAW_MBS")
DOWN_RATIO=$(calc "%.2f" "$DOWN_MBS / $RAW_MBS")
echo "ratio: upload $UP_MBS / $RAW_MBS = $UP_RATIO, download $DOWN_MBS / $RAW_MBS = $DOWN_RATIO" \
  "(target ≥ $RATIO_TARGET)"

section "OpenPGP: encrypt+sign per recipient, 10 KiB (pgp::EncryptAndSign vs bare RNP)"
"$BUILD/bench/pgp_encrypt_bench" | tee "$WORK/pgp.txt"
PGP_MSGS=$(result sealpost_msg_s "$WORK/pgp.txt")
PGP_BARE=$(result baseline_msg_s "$WORK/pgp.txt")
PGP_RATIO=$(calc "%.2f" "$(result ratio "$WORK/pgp.txt")")
PGP_TARGET=0.8

section "S/MIME: sign+encrypt per recipient, Sealpost vs bare OpenSSL CMS"
"$BUILD/bench/smime_sign_encrypt" --seconds "$(calc "%.1f" "$SECONDS_MEASURED / 3")" |
  tee "$WORK/smime.txt"
# smime_result RECIPIENT KEY: KEY= on the RESULT line of that recipient.
smime_result() { sed -n "s/^RESULT recipient=$1 .*\b$2=\([^ ]*\).*/\1/p" "$WORK/smime.txt"; }
SMIME_TARGET=0.8

section "transparency log: sequencing and an inclusion proof (SQLite, same disk)"
"$BUILD/bench/log_bench" "${BENCH_LOG_EVENTS:-1000000}" "$WORK/log" | tee "$WORK/log.txt"
LOG_RATE=$(result sequence_per_s "$WORK/log.txt")
LOG_SIZE=$(result log_size "$WORK/log.txt")
LOG_TILES=$(result max_tile_reads "$WORK/log.txt")
LOG_PROOF_US=$(result proof_us "$WORK/log.txt")

section "receipts: issuing, Sealpost vs bare OpenSSL CMS + TS"
"$BUILD/bench/receipt_issue_bench" --seconds "$(calc "%.1f" "$SECONDS_MEASURED / 3")" |
  tee "$WORK/receipt.txt"
RECEIPT_OURS=$(result sealpost_per_s "$WORK/receipt.txt")
RECEIPT_BARE=$(result baseline_per_s "$WORK/receipt.txt")
RECEIPT_RATIO=$(result ratio "$WORK/receipt.txt")
RECEIPT_TARGET=0.8

section "secure copies: BuildSecureCopy vs bare OpenSSL CMS / RNP, 10 KiB"
"$BUILD/bench/secure_copy_bench" --seconds "$(calc "%.1f" "$SECONDS_MEASURED / 5")" |
  tee "$WORK/secure_copy.txt"
copy_result() { sed -n "s/^RESULT recipient=$1 .*\b$2=\([^ ]*\).*/\1/p" "$WORK/secure_copy.txt"; }
COPY_TARGET=0.8

section "evidence: sends with the log vs without (one process, SQLite, same disk)"
"$BUILD/bench/evidence_send_bench" "$SECONDS_MEASURED" "$WORK/evidence" | tee "$WORK/evidence.txt"
EVIDENCE_WITH=$(result with_log "$WORK/evidence.txt")
EVIDENCE_WITHOUT=$(result without_log "$WORK/evidence.txt")
EVIDENCE_RATIO=$(result ratio "$WORK/evidence.txt")
EVIDENCE_TARGET=0.9

section "summary"
# ASCII only in the table, so that printf's byte-based padding lines the columns up.
row() { printf '%-40s %-36s %-8s %s\n' "$@"; }
row "measure" "result" "target" "verdict"
row "send: messages/s / SQLite rows/s" "$MSGS / $BASE_ROWS = $SEND_RATIO" ">= $RATIO_TARGET" \
  "$(verdict "$SEND_RATIO >= $RATIO_TARGET")"
row "send: non-201 answers under load" "$SEND_ERRORS (p50 $P50 ms, p99 $P99 ms)" "0" \
  "$(verdict "$SEND_ERRORS == 0")"
row "upload: MB/s / raw AEAD MB/s" "$UP_MBS / $RAW_MBS = $UP_RATIO" ">= $RATIO_TARGET" \
  "$(verdict "$UP_RATIO >= $RATIO_TARGET")"
row "download: MB/s / raw AEAD MB/s" "$DOWN_MBS / $RAW_MBS = $DOWN_RATIO" ">= $RATIO_TARGET" \
  "$(verdict "$DOWN_RATIO >= $RATIO_TARGET")"
UP_CEILING=$(calc "%.1f" "($TLS_MBS < $DIRECT_MBS) ? $TLS_MBS : $DIRECT_MBS")
row "context: upload / min(TLS ref, direct disk)" "$UP_MBS / $UP_CEILING = $(calc "%.2f" "$UP_MBS / $UP_CEILING")" "-" "-"
row "context: download / TLS reference" "$DOWN_MBS / $TLS_MBS = $(calc "%.2f" "$DOWN_MBS / $TLS_MBS")" "-" "-"
row "openpgp: EncryptAndSign / bare RNP" "$PGP_MSGS / $PGP_BARE msg/s = $PGP_RATIO" \
  ">= $PGP_TARGET" "$(verdict "$PGP_RATIO >= $PGP_TARGET")"
row "server peak RSS (VmHWM), MiB" "$RSS_MIB" "<= $RSS_TARGET_MIB" \
  "$(verdict "$RSS_MIB <= $RSS_TARGET_MIB")"
for r in p256 rsa3072; do
  row "S/MIME $r: Sealpost msg/s / bare OpenSSL" \
    "$(smime_result $r sealpost_per_s) / $(smime_result $r baseline_per_s) = $(smime_result $r ratio)" \
    ">= $SMIME_TARGET" "$(verdict "$(smime_result $r ratio) >= $SMIME_TARGET")"
done
row "attachment round trip (SHA-256)" "$([[ $SHA_OK == PASS ]] && echo equal || echo differ)" \
  "equal" "$SHA_OK"
row "log: sequenced events/s" "$LOG_RATE" ">= 20000" "$(verdict "$LOG_RATE >= 20000")"
row "log: proof in $LOG_SIZE entries (tiles, us)" "$LOG_TILES tiles, $LOG_PROOF_US us" \
  "O(log n)" "-"

row "receipts: issued/s / bare OpenSSL" "$RECEIPT_OURS / $RECEIPT_BARE = $RECEIPT_RATIO" \
  ">= $RECEIPT_TARGET" "$(verdict "$RECEIPT_RATIO >= $RECEIPT_TARGET")"

for r in p256 rsa3072 cv25519; do
  row "secure copy $r: msg/s / bare library" \
    "$(copy_result $r full_per_s) / $(copy_result $r bare_per_s) = $(copy_result $r ratio)" \
    ">= $COPY_TARGET" "$(verdict "$(copy_result $r ratio) >= $COPY_TARGET")"
done

row "evidence: sends/s with log / without" "$EVIDENCE_WITH / $EVIDENCE_WITHOUT = $EVIDENCE_RATIO" \
  ">= $EVIDENCE_TARGET" "$(verdict "$EVIDENCE_RATIO >= $EVIDENCE_TARGET")"

# Different bytes coming back is a correctness failure, not a missed performance target.
[[ $SHA_OK == PASS ]] || die "the downloaded attachment differs from the uploaded one"
exit 0
