#!/usr/bin/env bash
# Secure copies per second: one message to 1,000 recipients (a third S/MIME, a third OpenPGP, a
# third at a TLS partner) handed to a real Postfix, beside Postfix's smtp-source into the same
# Postfix in the same run (issue 12, benchmark 2). Target: ratio >= 0.5. A missed target prints
# FAIL and the script still exits 0; it exits non-zero only when something breaks.
# Needs root (the private Postfix of tests/postfix/postfix.sh), /usr/sbin/smtp-source and sq.
# Usage: bash bench/secure_copies.sh BUILD_DIR   (a Release build, as `make bench-secure-copies`
# makes). Tunables: BENCH_RECIPIENTS (1000), BENCH_CONNECTIONS (4), BENCH_ROUNDS (3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ARG=${1:-build-bench}

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
row() { printf '%-44s %-34s %-8s %s\n' "$@"; }

use_build "$BUILD_ARG"
[[ -x /usr/sbin/smtp-source ]] || die "/usr/sbin/smtp-source is missing (Debian package postfix)"
command -v sq >/dev/null || die "sq is missing (Debian package sq)"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || echo "bench: warning: $BUILD is a '$build_type' build, not Release"

OUT=$(mktemp "${TMPDIR:-/tmp}/sealpost-copies.XXXXXX")
trap 'rm -f "$OUT"' EXIT
printf '\n== secure copies to %s recipients ==\n' "${BENCH_RECIPIENTS:-1000}"
SEALPOST_BINARY=$SEALPOST PYTHONDONTWRITEBYTECODE=1 python3 "$ROOT/bench/secure_copies.py" |
  tee "$OUT"

final=$(grep '^RESULT copies_per_s=' "$OUT" | tail -n 1)
[[ -n $final ]] || die "the driver printed no result"
get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$final"; }
OURS=$(get copies_per_s)
THEIRS=$(get smtp_source_per_s)
RATIO=$(calc "%.2f" "$OURS / $THEIRS")

printf '\n== summary ==\n'
row "measure" "result" "target" "verdict"
row "smtp-source msgs/s (median of rounds)" "$THEIRS" "" ""
row "secure copies/s, 1 message (median)" "$OURS" "" ""
row "copies/s / smtp-source msgs/s" "$OURS / $THEIRS = $RATIO" ">= 0.5" \
  "$(verdict "$RATIO >= 0.5")"
row "send request, all copies made (s, median)" "$(get send_request_s)" "" ""
exit 0
