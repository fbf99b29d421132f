#include "store/postgres/internal/outbox.h"

#include <algorithm>
#include <tuple>

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

Result<std::vector<OutboundMailRecord>> PgOutboxReader::ListQueuedMail(int limit) {
  return reader_.ReadAll<OutboundMailRecord>(ReadOutboundMail, "list_queued_mail", limit);
}

Status PgOutboxWriter::EnqueueMail(const OutboundMailRecord& m) {
  return txn_.GuardStatus([&] {
    // No lease is sent as -1, which the statement turns into NULL (times are never negative).
    const auto r =
        tx_.exec_prepared("enqueue_mail", m.id.str(), Bin(m.sealed_mail),
                          ToUnixMillis(m.created_at), ToUnixMillis(m.next_attempt_at), m.attempts,
                          m.lease_until ? ToUnixMillis(*m.lease_until) : int64_t{-1}, m.last_error,
                          m.pickup_lookup.value_or(""));
    return ExpectInserted(r, "queued mail");
  });
}

Result<std::vector<OutboundMailRecord>> PgOutboxWriter::ClaimDueMail(TimePoint now,
                                                                     TimePoint lease_until,
                                                                     int limit) {
  return txn_.Guard<std::vector<OutboundMailRecord>>(
      [&]() -> Result<std::vector<OutboundMailRecord>> {
        const auto r = tx_.exec_prepared("claim_due_mail", ToUnixMillis(now),
                                         ToUnixMillis(lease_until), limit);
        std::vector<OutboundMailRecord> out;
        out.reserve(r.size());
        for (const auto& row : r) out.push_back(ReadOutboundMail(row));
        // RETURNING has no order: oldest due first, as the interface promises.
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
          return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
        });
        return out;
      });
}

Status PgOutboxWriter::RescheduleMail(const MailJobId& id, TimePoint next_attempt_at, int attempts,
                                      const std::string& last_error) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_prepared("reschedule_mail", id.str(),
                                          ToUnixMillis(next_attempt_at), attempts, last_error),
                        "queued mail");
  });
}

Status PgOutboxWriter::DeleteMailOfPickup(const std::string& pickup_lookup) {
  return txn_.GuardStatus([&] {
    tx_.exec_prepared("delete_mail_of_pickup", pickup_lookup);
    return Status::Ok();
  });
}

Status PgOutboxWriter::DeleteMail(const MailJobId& id) {
  return txn_.GuardStatus(
      [&] { return ExpectOneRow(tx_.exec_prepared("delete_mail", id.str()), "queued mail"); });
}

}  // namespace sealpost::store::postgres
