// Same-run comparisons that alternate short slices of the measured code and its baseline, so
// that a machine whose speed drifts (other load, frequency scaling) affects both sides alike.
// Header-only, for the benchmark programs in bench/.
#pragma once

#include <chrono>
#include <cstddef>

namespace sealpost::bench {

using Clock = std::chrono::steady_clock;

// Operations counted and time spent by one side of the comparison.
struct Tally {
  size_t ops = 0;
  Clock::duration elapsed{};
  double PerSecond() const {
    return static_cast<double>(ops) / std::chrono::duration<double>(elapsed).count();
  }
};

// Runs `op` for about `slice`, adding to `tally`.
template <typename Op>
void RunSlice(Clock::duration slice, Tally& tally, Op op) {
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  while (now - start < slice) {
    op();
    ++tally.ops;
    now = Clock::now();
  }
  tally.elapsed += now - start;
}

}  // namespace sealpost::bench
