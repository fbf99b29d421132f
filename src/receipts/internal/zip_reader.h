// Reads one named entry of a ZIP archive held in memory (libzip): how `sealpost verify export`
// opens an audit export bundle.
//
// SECURITY: the archive is untrusted. The entry's declared size and the bytes actually inflated
// are both bounded by `max_bytes` (TooLarge), so a zip bomb stops there; NotFound when the entry
// is absent; InvalidArgument when the archive does not open. Thread-safety: no shared state.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::receipts::internal {

Result<Bytes> ReadZipEntry(ByteView zip, std::string_view name, size_t max_bytes);

}  // namespace sealpost::receipts::internal
