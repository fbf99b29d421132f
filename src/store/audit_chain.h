// The audit log's hash chain: how one entry's hash is computed from its fields and its
// predecessor's hash. Shared by the store (which appends) and audit/ (which verifies).
// Byte layout: docs/formats/audit-log.md.
#pragma once

#include "core/encoding.h"
#include "store/records.h"

namespace sealpost::store {

inline constexpr size_t kAuditHashBytes = 32;

Bytes AuditEntryHash(ByteView prev_hash, int64_t seq, const AuditEvent& event);

}  // namespace sealpost::store
