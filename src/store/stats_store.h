// Counts for operations (GET /metrics, docs/operations.md): read-only, bounded queries over
// other domains' tables that no use case needs. Part of the Store (store/store.h).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

// Counts stop here: a gauge past a million sessions says enough, and the scan stays bounded.
inline constexpr int64_t kMaxCountedRows = 1'000'000;

class StatsReader {
 public:
  virtual ~StatsReader() = default;

  // Full sessions (not login tickets or TOTP set-up sessions) not expired at `now` and seen
  // after `idle_cutoff` (now − the idle timeout): the members logged in. At most
  // kMaxCountedRows.
  virtual Result<int64_t> CountLiveSessions(TimePoint now, TimePoint idle_cutoff) = 0;
};

}  // namespace sealpost::store
