// The registered-mail domain (store/registered_store.h) on PostgreSQL.
#pragma once

#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"
#include "store/registered_store.h"

namespace sealpost::store::postgres {

class PgRegisteredReader final : public RegisteredReader {
 public:
  explicit PgRegisteredReader(Reader& reader) : reader_(reader) {}

  Result<RegisteredRecipientRecord> GetRegisteredRecipient(const MessageId& message_id,
                                                           const std::string& recipient) override;
  Result<std::vector<RegisteredRecipientRecord>> ListRegisteredRecipients(
      const MessageId& message_id) override;
  Result<std::vector<RegisteredRecipientRecord>> ListOverdueRegistered(TimePoint now,
                                                                       int limit) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgRegisteredWriter final : public RegisteredWriter {
 public:
  explicit PgRegisteredWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status AddRegisteredRecipient(const RegisteredRecipientRecord& record) override;
  Status DecideRegistered(const MessageId& message_id, const std::string& recipient,
                          RegisteredState state, TimePoint when) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
