// The platform's own state: its named key pairs and the fixed-window rate counters. Part of the
// Store (store/store.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class PlatformReader {
 public:
  virtual ~PlatformReader() = default;

  virtual Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) = 0;
  // The count in the current window of a counter (BumpCounter); 0 when none.
  virtual Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                                     std::chrono::milliseconds window) = 0;
};

class PlatformWriter {
 public:
  virtual ~PlatformWriter() = default;

  virtual Status PutPlatformKey(const PlatformKeyRecord& key) = 0;
  // Fixed-window counter: adds one and returns the count in the current window.
  virtual Result<int64_t> BumpCounter(const std::string& key, TimePoint now,
                                      std::chrono::milliseconds window) = 0;
  virtual Status ResetCounter(const std::string& key) = 0;
};

}  // namespace sealpost::store
