#!/usr/bin/env bash
# Guest notifications per second handed to a real SMTP peer, beside Postfix's smtp-source into
# the same peer in the same run (issue 5, done-when 4). Target: ratio >= 0.5. A missed target
# prints FAIL and the script still exits 0; it exits non-zero only when something breaks.
# Needs root (the private Postfix of tests/postfix/postfix.sh) and /usr/sbin/smtp-source.
# Usage: bash bench/notify.sh BUILD_DIR   (a Release build, as `make bench-notify` makes)
# Tunables: BENCH_GUESTS (1000), BENCH_CONNECTIONS (4), BENCH_ROUNDS (3), BENCH_DKIM=1 (sign every
# notification), BENCH_TLS=1 (Sealpost over STARTTLS; smtp-source has no TLS, so that ratio is
# context, not the target comparison).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ARG=${1:-build-bench}

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
row() { printf '%-44s %-34s %-8s %s\n' "$@"; }

use_build "$BUILD_ARG"
[[ -x /usr/sbin/smtp-source ]] || die "/usr/sbin/smtp-source is missing (Debian package postfix)"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || echo "bench: warning: $BUILD is a '$build_type' build, not Release"

OUT=$(mktemp "${TMPDIR:-/tmp}/sealpost-notify.XXXXXX")
trap 'rm -f "$OUT"' EXIT
printf '\n== notifications to %s guests ==\n' "${BENCH_GUESTS:-1000}"
SEALPOST_BINARY=$SEALPOST PYTHONDONTWRITEBYTECODE=1 python3 "$ROOT/bench/notify.py" | tee "$OUT"

final=$(grep '^RESULT notifications_per_s=' "$OUT" | tail -n 1)
[[ -n $final ]] || die "the driver printed no result"
get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$final"; }
OURS=$(get notifications_per_s)
THEIRS=$(get smtp_source_per_s)
RATIO=$(calc "%.2f" "$OURS / $THEIRS")

printf '\n== summary ==\n'
row "measure" "result" "target" "verdict"
row "smtp-source msgs/s (median of rounds)" "$THEIRS" "" ""
row "notifications/s, warm MUCs (median)" "$OURS" "" ""
row "notifications/s / smtp-source msgs/s" "$OURS / $THEIRS = $RATIO" ">= 0.5" \
  "$(verdict "$RATIO >= 0.5")"
row "first contact notifications/s (argon2id)" "$(get first_contact_per_s)" "" ""
row "send request for all guests (s, median)" "$(get send_request_s)" "" ""
row "delivered into the sink / expected" "$(get delivered) / $(get expected)" "equal" \
  "$(verdict "$(get delivered) == $(get expected)")"
exit 0
