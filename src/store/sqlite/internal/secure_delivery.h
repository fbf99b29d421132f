// The secure delivery domain (store/secure_delivery_store.h: per-recipient secure copies and
// their queue) on SQLite.
#pragma once

#include "store/secure_delivery_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteSecureDeliveryReader final : public SecureDeliveryReader {
 public:
  explicit SqliteSecureDeliveryReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<SecureCopyRecord>> ListCopiesOfMessage(const MessageId& id) override;
  Result<std::vector<SecureCopyRecord>> ListPendingCopies(int limit) override;
  Result<SecureCopyRecord> GetCopy(const SecureCopyId& id) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteSecureDeliveryWriter final : public SecureDeliveryWriter {
 public:
  explicit SqliteSecureDeliveryWriter(Connection& db) : db_(db) {}

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
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
