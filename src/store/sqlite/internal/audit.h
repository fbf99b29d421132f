// The audit domain (store/audit_store.h: the audit chain and its checkpoints) on SQLite.
#pragma once

#include "store/audit_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteAuditReader final : public AuditReader {
 public:
  explicit SqliteAuditReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) override;
  Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) override;
  Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteAuditWriter final : public AuditWriter {
 public:
  explicit SqliteAuditWriter(Connection& db) : db_(db) {}

  Result<AuditEntry> AppendAudit(const AuditEvent& event) override;
  Status AddAuditCheckpoint(const AuditCheckpoint& checkpoint) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
