// The audit domain (store/audit_store.h: the audit chain and its checkpoints) on PostgreSQL.
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "store/audit_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

// The batch's end of the legacy audit chain, which only tests and tools still append to (state
// changes record transparency-log events instead: store/log_store.h). A batch's first append
// takes the chain lock (a transaction-scoped advisory lock) and then reads the newest entry, so
// batches that never append never wait for it; from then on only the batch's own appends move
// the head, so it is kept here rather than queried per append. Appends are computed here and
// written together, by one statement sent with the batch's COMMIT (InsertStatement).
class AuditTail {
 public:
  AuditTail() = default;

  bool loaded() const { return loaded_; }
  void Load(int64_t seq, Bytes hash) {
    seq_ = seq;
    hash_ = std::move(hash);
    loaded_ = true;
  }
  // Forgets the head (the callback that loaded it was rolled back, and its lock with it).
  void Unload() {
    appended_.clear();
    loaded_ = false;
  }

  AuditEntry Append(const AuditEvent& event);

  // Where a callback starts, so that rolling the callback back can drop its appends.
  size_t Mark() const { return appended_.size(); }
  void RollBackTo(size_t mark);

  // The SQL text (values escaped for `tx`'s connection) that inserts the appended entries, ending
  // in ';'; empty when there are none.
  std::string InsertStatement(pqxx::transaction_base& tx) const;

 private:
  bool loaded_ = false;
  int64_t seq_ = 0;
  Bytes hash_;
  std::vector<AuditEntry> appended_;
};

class PgAuditReader final : public AuditReader {
 public:
  explicit PgAuditReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) override;
  Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) override;
  Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgAuditWriter final : public AuditWriter {
 public:
  explicit PgAuditWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Result<AuditEntry> AppendAudit(const AuditEvent& event) override;
  Status AddAuditCheckpoint(const AuditCheckpoint& checkpoint) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
