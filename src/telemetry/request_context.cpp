#include "telemetry/request_context.h"

#include <atomic>
#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace sealpost::telemetry {
namespace {

thread_local const std::string* current = nullptr;

}  // namespace

std::string NewRequestId() {
  // A random prefix keeps ids of several processes (and restarts) apart in a merged log; it needs
  // no cryptographic quality.
  static const uint32_t prefix = std::random_device{}();
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{:08x}{:016x}", prefix, counter.fetch_add(1, std::memory_order_relaxed));
}

std::string_view CurrentRequestId() { return current ? std::string_view(*current) : ""; }

ScopedRequestId::ScopedRequestId(const std::string& id) : previous_(current) { current = &id; }

ScopedRequestId::~ScopedRequestId() { current = previous_; }

}  // namespace sealpost::telemetry
