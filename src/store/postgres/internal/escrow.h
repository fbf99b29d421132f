// The escrow domain (store/escrow_store.h) on PostgreSQL. Its statements are sent with
// exec_params, outside the shared prepared catalogue, so the domain stays in its file.
#pragma once

#include "store/escrow_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgEscrowReader final : public EscrowReader {
 public:
  explicit PgEscrowReader(Reader& reader) : reader_(reader) {}

  Result<EscrowKeyRecord> GetEscrowKey(const std::string& domain) override;
  Result<std::vector<EscrowKeyRecord>> ListEscrowKeys() override;
  Result<std::vector<EscrowWrapRecord>> ListEscrowWraps(const EscrowWrapQuery& query) override;
  Result<std::vector<EscrowWrapRecord>> ListEscrowWrapsOfMessage(const MessageId& id) override;
  Result<int64_t> CountEscrowWraps() override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgEscrowWriter final : public EscrowWriter {
 public:
  explicit PgEscrowWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status PutEscrowKey(const EscrowKeyRecord& key) override;
  Status DeleteEscrowKey(const std::string& domain) override;
  Status PutEscrowWrap(const EscrowWrapRecord& wrap) override;
  Result<int64_t> DeleteEscrowWrap(const MessageId& id, const std::string& domain) override;
  Result<int64_t> DeleteEscrowWrapsOf(const MessageId& id) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
