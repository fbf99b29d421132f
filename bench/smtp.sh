#!/usr/bin/env bash
# SMTP intake in messages/s (issue 13): Postfix's smtp-source with 20 sessions and 10 KiB messages
# to one member against Sealpost's inbound (MX) listener, against a private Postfix delivering to
# a Maildir (tests/postfix/postfix.sh) and against smtp-sink (the protocol ceiling), in the same
# run. Target: Sealpost / Postfix >= 2. A missed target prints FAIL and the script still exits 0;
# it exits non-zero only when something breaks (a message refused, a count that does not add up).
# smtp-source has neither AUTH nor TLS, hence the inbound listener rather than submission.
# Needs root (the private Postfix), /usr/sbin/smtp-source and /usr/sbin/smtp-sink (package
# postfix). Every port is chosen free at run time.
# Usage: bash bench/smtp.sh BUILD_DIR   (a Release build, as `make bench-smtp` makes)
# Tunables: BENCH_SESSIONS (20), BENCH_MESSAGES (2000 per run), BENCH_SIZE (10240),
# BENCH_ROUNDS (3), BENCH_WARMUP (200).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ARG=${1:-build-bench}

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
row() { printf '%-44s %-34s %-8s %s\n' "$@"; }

use_build "$BUILD_ARG"
[[ $(id -u) == 0 ]] || die "must run as root (the private Postfix of tests/postfix/postfix.sh)"
bash "$ROOT/tests/postfix/postfix.sh" install  # smtp-source and smtp-sink come with postfix
[[ -x /usr/sbin/smtp-source && -x /usr/sbin/smtp-sink ]] \
  || die "/usr/sbin/smtp-source or smtp-sink is missing (Debian package postfix)"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || echo "bench: warning: $BUILD is a '$build_type' build, not Release"

OUT=$(mktemp "${TMPDIR:-/tmp}/sealpost-smtp.XXXXXX")
trap 'rm -f "$OUT"' EXIT
printf '\n== SMTP intake: smtp-source, %s sessions, %s-byte messages ==\n' \
  "${BENCH_SESSIONS:-20}" "${BENCH_SIZE:-10240}"
SEALPOST_BINARY=$SEALPOST PYTHONDONTWRITEBYTECODE=1 python3 "$ROOT/bench/smtp.py" | tee "$OUT"

final=$(grep '^RESULT sealpost_per_s=' "$OUT" | tail -n 1)
[[ -n $final ]] || die "the driver printed no result"
get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$final"; }
OURS=$(get sealpost_per_s)
THEIRS=$(get postfix_per_s)
SINK=$(get sink_per_s)
RATIO=$(calc "%.2f" "$OURS / $THEIRS")
[[ $(get stored) == "$(get expected)" ]] \
  || die "Sealpost stored $(get stored) messages, $(get expected) were accepted"
[[ $(get delivered) == "$(get expected)" ]] \
  || die "Postfix delivered $(get delivered) messages, $(get expected) were accepted"

printf '\n== summary ==\n'
row "measure" "result" "target" "verdict"
row "smtp-sink msgs/s (ceiling, median)" "$SINK" "" ""
row "Postfix msgs/s, 250 = queued (median)" "$THEIRS" "" ""
row "Postfix msgs/s, in the Maildir (median)" "$(get postfix_delivered_per_s)" "" ""
row "Sealpost msgs/s, 250 = in the inbox (median)" "$OURS" "" ""
row "Sealpost / Postfix" "$OURS / $THEIRS = $RATIO" ">= 2" "$(verdict "$RATIO >= 2")"
row "Sealpost / smtp-sink" "$(calc "%.2f" "$OURS / $SINK")" "" ""
row "stored in the inbox / accepted" "$(get stored) / $(get expected)" "equal" "PASS"
exit 0
