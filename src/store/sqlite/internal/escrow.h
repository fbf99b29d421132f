// The escrow domain (store/escrow_store.h) on SQLite.
#pragma once

#include "store/escrow_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteEscrowReader final : public EscrowReader {
 public:
  explicit SqliteEscrowReader(ReaderPool& pool) : pool_(pool) {}

  Result<EscrowKeyRecord> GetEscrowKey(const std::string& domain) override;
  Result<std::vector<EscrowKeyRecord>> ListEscrowKeys() override;
  Result<std::vector<EscrowWrapRecord>> ListEscrowWraps(const EscrowWrapQuery& query) override;
  Result<std::vector<EscrowWrapRecord>> ListEscrowWrapsOfMessage(const MessageId& id) override;
  Result<int64_t> CountEscrowWraps() override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteEscrowWriter final : public EscrowWriter {
 public:
  explicit SqliteEscrowWriter(Connection& db) : db_(db) {}

  Status PutEscrowKey(const EscrowKeyRecord& key) override;
  Status DeleteEscrowKey(const std::string& domain) override;
  Status PutEscrowWrap(const EscrowWrapRecord& wrap) override;
  Result<int64_t> DeleteEscrowWrap(const MessageId& id, const std::string& domain) override;
  Result<int64_t> DeleteEscrowWrapsOf(const MessageId& id) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
