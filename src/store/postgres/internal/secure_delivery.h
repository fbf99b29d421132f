// The secure delivery domain (store/secure_delivery_store.h: per-recipient secure copies and
// their queue) on PostgreSQL.
#pragma once

#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"
#include "store/secure_delivery_store.h"

namespace sealpost::store::postgres {

class PgSecureDeliveryReader final : public SecureDeliveryReader {
 public:
  explicit PgSecureDeliveryReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<SecureCopyRecord>> ListCopiesOfMessage(const MessageId& id) override;
  Result<std::vector<SecureCopyRecord>> ListPendingCopies(int limit) override;
  Result<SecureCopyRecord> GetCopy(const SecureCopyId& id) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgSecureDeliveryWriter final : public SecureDeliveryWriter {
 public:
  explicit PgSecureDeliveryWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status EnqueueCopy(const SecureCopyRecord& copy) override;
  Result<std::vector<SecureCopyRecord>> ClaimDueCopies(TimePoint now, TimePoint lease_until,
                                                       int limit) override;
  Status QueuePreparedCopy(const SecureCopyId& id, const std::string& method,
                           const Bytes& sealed_copy, TimePoint now) override;
  Status ExtendPreparation(const MessageId& message, TimePoint lease_until) override;
  Result<std::vector<SecureCopyRecord>> ListAbandonedCopies(TimePoint now, int limit) override;
  Status DeferCopy(const SecureCopyId& id, TimePoint next_attempt_at, int attempts,
                   const std::string& last_error) override;
  Status FinishCopy(const SecureCopyId& id, SecureCopyState state, int attempts,
                    const std::string& host, const std::string& reply,
                    const std::string& last_error, TimePoint at) override;
  Status ReportCopyOutcome(const SecureCopyId& id, SecureCopyState state,
                           const std::string& last_error, TimePoint at) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
