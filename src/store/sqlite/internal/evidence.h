// The evidence domain (store/evidence_store.h: message evidence, receipts, the issuer's cursor)
// on SQLite.
#pragma once

#include "store/evidence_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteEvidenceReader final : public EvidenceReader {
 public:
  explicit SqliteEvidenceReader(ReaderPool& pool) : pool_(pool) {}

  Result<MessageEvidenceRecord> GetMessageEvidence(const MessageId& message_id) override;
  Result<std::vector<ReceiptRecord>> ListReceipts(const MessageId& message_id) override;
  Result<ReceiptRecord> GetReceipt(const MessageId& message_id, const std::string& id) override;
  Result<uint64_t> GetReceiptCursor() override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteEvidenceWriter final : public EvidenceWriter {
 public:
  explicit SqliteEvidenceWriter(Connection& db) : db_(db) {}

  Status PutMessageEvidence(const MessageEvidenceRecord& record) override;
  Status AddReceipt(const ReceiptRecord& receipt) override;
  Status AdvanceReceiptCursor(uint64_t next_index) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
