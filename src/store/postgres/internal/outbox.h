// The outbox domain (store/outbox_store.h: the outbound mail queue) on PostgreSQL.
#pragma once

#include "store/outbox_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgOutboxReader final : public OutboxReader {
 public:
  explicit PgOutboxReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<OutboundMailRecord>> ListQueuedMail(int limit) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgOutboxWriter final : public OutboxWriter {
 public:
  explicit PgOutboxWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status EnqueueMail(const OutboundMailRecord& mail) override;
  Result<std::vector<OutboundMailRecord>> ClaimDueMail(TimePoint now, TimePoint lease_until,
                                                       int limit) override;
  Status RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                        const std::string& last_error) override;
  Status DeleteMail(const MailJobId& id) override;
  Status DeleteMailOfPickup(const std::string& pickup_lookup) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
