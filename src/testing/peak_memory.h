// How much a piece of code raises the process's resident memory at its peak (Linux): the peak
// mark (VmHWM) is reset through /proc/self/clear_refs before the code runs, so what earlier
// tests of the same process used does not hide it.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>

namespace sealpost::testutil {

// AddressSanitizer keeps freed memory in quarantine (256 MiB by default), so under it resident
// memory follows everything ever allocated, not what is live: a memory bound is asserted only in
// builds without it (`make test`); the sanitized run still checks everything else.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kPeakRssIsMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kPeakRssIsMeaningful = false;
#else
inline constexpr bool kPeakRssIsMeaningful = true;
#endif
#else
inline constexpr bool kPeakRssIsMeaningful = true;
#endif

// A "Name:   123 kB" line of /proc/self/status, in bytes; 0 when absent.
inline uint64_t ProcStatusBytes(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stoull(line.substr(name.size() + 1)) * 1024;
  }
  return 0;
}

// false when the peak mark cannot be reset (the result would then mean nothing).
inline bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good() && ProcStatusBytes("VmHWM") <= ProcStatusBytes("VmRSS") + (1u << 20);
}

// The peak resident memory while `run` ran, above what was resident before it.
inline int64_t PeakRssGrowth(const std::function<void()>& run) {
  const uint64_t before = ProcStatusBytes("VmRSS");
  if (!ResetPeakRss()) return -1;
  run();
  return static_cast<int64_t>(ProcStatusBytes("VmHWM")) - static_cast<int64_t>(before);
}

}  // namespace sealpost::testutil
