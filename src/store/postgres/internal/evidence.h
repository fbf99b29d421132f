// The evidence domain (store/evidence_store.h: message evidence, receipts, the issuer's cursor)
// on PostgreSQL.
#pragma once

#include "store/evidence_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgEvidenceReader final : public EvidenceReader {
 public:
  explicit PgEvidenceReader(Reader& reader) : reader_(reader) {}

  Result<MessageEvidenceRecord> GetMessageEvidence(const MessageId& message_id) override;
  Result<std::vector<ReceiptRecord>> ListReceipts(const MessageId& message_id) override;
  Result<ReceiptRecord> GetReceipt(const MessageId& message_id, const std::string& id) override;
  Result<uint64_t> GetReceiptCursor() override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgEvidenceWriter final : public EvidenceWriter {
 public:
  explicit PgEvidenceWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status PutMessageEvidence(const MessageEvidenceRecord& record) override;
  Status AddReceipt(const ReceiptRecord& receipt) override;
  Status AdvanceReceiptCursor(uint64_t next_index) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
