// The audit hash chain and its signed checkpoints (audit/audit_log.h). Part of the Store
// (store/store.h).
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace sealpost::store {

class AuditReader {
 public:
  virtual ~AuditReader() = default;

  virtual Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) = 0;
  // Newest first: entries with seq < before_seq.
  virtual Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) = 0;
  virtual Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() = 0;
};

class AuditWriter {
 public:
  virtual ~AuditWriter() = default;

  // Appends to the audit hash chain and returns the new entry (with seq and hash).
  virtual Result<AuditEntry> AppendAudit(const AuditEvent& event) = 0;
  virtual Status AddAuditCheckpoint(const AuditCheckpoint& checkpoint) = 0;
};

}  // namespace sealpost::store
