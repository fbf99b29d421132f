// The outbox domain (store/outbox_store.h: the outbound mail queue) on SQLite.
#pragma once

#include "store/outbox_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteOutboxReader final : public OutboxReader {
 public:
  explicit SqliteOutboxReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteOutboxWriter final : public OutboxWriter {
 public:
  explicit SqliteOutboxWriter(Connection& db) : db_(db) {}

  Status EnqueueMail(const OutboundMailRecord& mail) override;
  Result<std::vector<OutboundMailRecord>> ClaimDueMail(TimePoint now, TimePoint lease_until,
                                                       int limit) override;
  Status RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                        const std::string& last_error) override;
  Status DeleteMail(const MailJobId& id) override;
  Status DeleteMailOfPickup(const std::string& pickup_lookup) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
