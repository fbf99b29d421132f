#!/usr/bin/env bash
# Runs each libFuzzer target of a SEALPOST_FUZZ build for a bounded time (docs/fuzzing.md).
# Usage: scripts/fuzz.sh BUILD_DIR [TARGET...]     (default: every target in fuzz-targets.txt)
# Environment: FUZZ_SECONDS per target (default 20), FUZZ_RSS_MB (default 2048).
#
# Each target starts from its committed corpus (tests/fuzz/corpus/<name>, read only) and writes
# the inputs it finds to BUILD_DIR/fuzz-corpus/<name>; crash inputs go to
# BUILD_DIR/fuzz-artifacts/<name>/ and its log to BUILD_DIR/fuzz-logs/<name>.log. Nothing is
# added to the committed corpus automatically: minimise a crash, fix it, then commit its input.
# Exits non-zero when any target found a crash, leak, timeout or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:?usage: scripts/fuzz.sh BUILD_DIR [TARGET...]}
shift
seconds=${FUZZ_SECONDS:-20}
rss_mb=${FUZZ_RSS_MB:-2048}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(grep -v '^$' "$build/fuzz-targets.txt")
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}

failed=()
for name in "${targets[@]}"; do
  binary="$build/tests/fuzz/${name}_fuzz"
  seeds="tests/fuzz/corpus/$name"
  scratch="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name/"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  args=(-max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=10 -print_final_stats=1
        -artifact_prefix="$artifacts")
  [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
  started=$SECONDS
  if "$binary" "${args[@]}" "$scratch" "$seeds" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed+=("$name")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz: $name: $result, ${execs:-?} runs in $((SECONDS - started)) s," \
    "$(find "$scratch" -type f | wc -l) inputs in $scratch"
  if [ "$result" = FAILED ]; then
    tail -n 60 "$log" >&2
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/fuzz-artifacts/, logs in $build/fuzz-logs/)" >&2
  exit 1
fi
