// Writes a ZIP archive in memory (libzip): the container of the evidence package.
//
// Entries are deflated, stored in the order given, with `mtime` as their time (ZIP keeps local
// DOS time: libzip converts with the process's time zone) and Unix mode 0644, so the same
// entries give the same bytes. Names are used as they are: the caller builds safe ones.
// Thread-safety: no shared state.
#pragma once

#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::receipts::internal {

struct ZipEntry {
  std::string name;  // a relative path with "/" separators
  Bytes data;
};

// Internal when libzip fails (out of memory).
Result<Bytes> WriteZip(const std::vector<ZipEntry>& entries, TimePoint mtime);

}  // namespace sealpost::receipts::internal
