// The registered-mail domain (store/registered_store.h) on SQLite.
#pragma once

#include "store/registered_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteRegisteredReader final : public RegisteredReader {
 public:
  explicit SqliteRegisteredReader(ReaderPool& pool) : pool_(pool) {}

  Result<RegisteredRecipientRecord> GetRegisteredRecipient(const MessageId& message_id,
                                                           const std::string& recipient) override;
  Result<std::vector<RegisteredRecipientRecord>> ListRegisteredRecipients(
      const MessageId& message_id) override;
  Result<std::vector<RegisteredRecipientRecord>> ListOverdueRegistered(TimePoint now,
                                                                       int limit) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteRegisteredWriter final : public RegisteredWriter {
 public:
  explicit SqliteRegisteredWriter(Connection& db) : db_(db) {}

  Status AddRegisteredRecipient(const RegisteredRecipientRecord& record) override;
  Status DecideRegistered(const MessageId& message_id, const std::string& recipient,
                          RegisteredState state, TimePoint when) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
