#include "store/postgres/internal/secure_delivery.h"

#include <algorithm>
#include <string>
#include <tuple>

namespace sealpost::store::postgres {
namespace {

// The statements of this domain are its own (not in the shared catalogue): plain parameterised
// statements. Columns 0..13; the sealed copy (14) only where a deliverer needs it.
const std::string kCopyColumns =
    "id, message_id, sender_id, recipient, method, state, host, reply, last_error, created_ms, "
    "next_attempt_ms, attempts, lease_until_ms, finished_ms";
constexpr int kPending0 = static_cast<int>(SecureCopyState::kQueued);
constexpr int kPending1 = static_cast<int>(SecureCopyState::kDeferred);
constexpr int kPreparing = static_cast<int>(SecureCopyState::kPreparing);

SecureCopyRecord CopyRow(const pqxx::row& r, bool with_copy) {
  SecureCopyRecord c;
  c.id = SecureCopyId::FromTrusted(r[0].as<std::string>());
  c.message_id = MessageId::FromTrusted(r[1].as<std::string>());
  c.sender_id = UserId::FromTrusted(r[2].as<std::string>());
  c.recipient = r[3].as<std::string>();
  c.method = r[4].as<std::string>();
  c.state = static_cast<SecureCopyState>(r[5].as<int>());
  c.host = r[6].as<std::string>();
  c.reply = r[7].as<std::string>();
  c.last_error = r[8].as<std::string>();
  c.created_at = FromUnixMillis(r[9].as<int64_t>());
  c.next_attempt_at = FromUnixMillis(r[10].as<int64_t>());
  c.attempts = r[11].as<int>();
  if (!r[12].is_null()) c.lease_until = FromUnixMillis(r[12].as<int64_t>());
  if (!r[13].is_null()) c.finished_at = FromUnixMillis(r[13].as<int64_t>());
  if (with_copy) c.sealed_copy = ReadBytes(r[14]);
  return c;
}

std::vector<SecureCopyRecord> Rows(const pqxx::result& r, bool with_copy) {
  std::vector<SecureCopyRecord> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(CopyRow(row, with_copy));
  return out;
}

// Absent times travel as -1 and become NULL (times are never negative).
int64_t OrMinusOne(const std::optional<TimePoint>& t) { return t ? ToUnixMillis(*t) : -1; }

}  // namespace

Result<std::vector<SecureCopyRecord>> PgSecureDeliveryReader::ListCopiesOfMessage(
    const MessageId& id) {
  return reader_.Read<std::vector<SecureCopyRecord>>([&](pqxx::transaction_base& tx) {
    return Rows(
        tx.exec_params("SELECT " + kCopyColumns +
                           " FROM secure_copies WHERE message_id = $1 ORDER BY recipient, id",
                       id.str()),
        false);
  });
}

Result<std::vector<SecureCopyRecord>> PgSecureDeliveryReader::ListPendingCopies(int limit) {
  return reader_.Read<std::vector<SecureCopyRecord>>([&](pqxx::transaction_base& tx) {
    return Rows(tx.exec_params("SELECT " + kCopyColumns +
                                   " FROM secure_copies WHERE state IN ($1, $2) "
                                   "ORDER BY next_attempt_ms, id LIMIT $3",
                               kPending0, kPending1, limit),
                false);
  });
}

Result<SecureCopyRecord> PgSecureDeliveryReader::GetCopy(const SecureCopyId& id) {
  return reader_.Read<SecureCopyRecord>(
      [&](pqxx::transaction_base& tx) -> Result<SecureCopyRecord> {
        const auto r = tx.exec_params(
            "SELECT " + kCopyColumns + " FROM secure_copies WHERE id = $1", id.str());
        if (r.empty()) return NotFound("no such secure copy");
        return CopyRow(r[0], false);
      });
}

Status PgSecureDeliveryWriter::EnqueueCopy(const SecureCopyRecord& c) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params("INSERT INTO secure_copies(" + kCopyColumns +
                            ", sealed_copy) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,"
                            "NULLIF($13::bigint, -1),NULLIF($14::bigint, -1),$15)",
                        c.id.str(), c.message_id.str(), c.sender_id.str(), c.recipient, c.method,
                        static_cast<int>(c.state), c.host, c.reply, c.last_error,
                        ToUnixMillis(c.created_at), ToUnixMillis(c.next_attempt_at), c.attempts,
                        OrMinusOne(c.lease_until), OrMinusOne(c.finished_at), Bin(c.sealed_copy)),
        "secure copy");
  });
}

Result<std::vector<SecureCopyRecord>> PgSecureDeliveryWriter::ClaimDueCopies(TimePoint now,
                                                                             TimePoint lease_until,
                                                                             int limit) {
  return txn_.Guard<std::vector<SecureCopyRecord>>([&]() -> Result<std::vector<SecureCopyRecord>> {
    // SKIP LOCKED: deliverers in other processes claim other rows instead of waiting.
    const auto r = tx_.exec_params(
        "UPDATE secure_copies SET lease_until_ms = $2 WHERE id IN ("
        "SELECT id FROM secure_copies WHERE state IN ($4, $5) AND next_attempt_ms <= $1 "
        "AND (lease_until_ms IS NULL OR lease_until_ms <= $1) "
        "ORDER BY next_attempt_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " +
            kCopyColumns + ", sealed_copy",
        ToUnixMillis(now), ToUnixMillis(lease_until), limit, kPending0, kPending1);
    std::vector<SecureCopyRecord> out = Rows(r, true);
    // RETURNING has no order: oldest due first, as the interface promises.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
    });
    return out;
  });
}

Status PgSecureDeliveryWriter::QueuePreparedCopy(const SecureCopyId& id, const std::string& method,
                                                 const Bytes& sealed_copy, TimePoint now) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("UPDATE secure_copies SET state = $2, method = $3, sealed_copy = $4, "
                        "next_attempt_ms = $5, lease_until_ms = NULL "
                        "WHERE id = $1 AND state = $6",
                        id.str(), kPending0, method, Bin(sealed_copy), ToUnixMillis(now),
                        kPreparing),
        "preparing secure copy");
  });
}

Status PgSecureDeliveryWriter::ExtendPreparation(const MessageId& message, TimePoint lease_until) {
  return txn_.GuardStatus([&] {
    tx_.exec_params(
        "UPDATE secure_copies SET lease_until_ms = $2 "
        "WHERE message_id = $1 AND state = $3",
        message.str(), ToUnixMillis(lease_until), kPreparing);
    return Status::Ok();
  });
}

Result<std::vector<SecureCopyRecord>> PgSecureDeliveryWriter::ListAbandonedCopies(TimePoint now,
                                                                                  int limit) {
  return txn_.Guard<std::vector<SecureCopyRecord>>([&]() -> Result<std::vector<SecureCopyRecord>> {
    // FOR UPDATE: two processes giving up the same copies take turns (the second finds none).
    // The state as a literal, which the partial index secure_copies_preparing matches.
    static_assert(kPreparing == 5);
    return Rows(tx_.exec_params("SELECT " + kCopyColumns +
                                    " FROM secure_copies WHERE state = 5 AND lease_until_ms <= $1"
                                    " ORDER BY lease_until_ms, id LIMIT $2 FOR UPDATE",
                                ToUnixMillis(now), limit),
                false);
  });
}

Status PgSecureDeliveryWriter::DeferCopy(const SecureCopyId& id, TimePoint next_attempt_at,
                                         int attempts, const std::string& last_error) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("UPDATE secure_copies SET state = $2, next_attempt_ms = $3, "
                        "attempts = $4, last_error = $5, lease_until_ms = NULL "
                        "WHERE id = $1 AND state IN ($6, $7)",
                        id.str(), static_cast<int>(SecureCopyState::kDeferred),
                        ToUnixMillis(next_attempt_at), attempts, last_error, kPending0, kPending1),
        "pending secure copy");
  });
}

Status PgSecureDeliveryWriter::FinishCopy(const SecureCopyId& id, SecureCopyState state,
                                          int attempts, const std::string& host,
                                          const std::string& reply, const std::string& last_error,
                                          TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("UPDATE secure_copies SET state = $2, attempts = $3, host = $4, "
                        "reply = $5, last_error = $6, finished_ms = $7, lease_until_ms = NULL, "
                        "sealed_copy = ''::bytea WHERE id = $1 AND state IN ($8, $9, $10)",
                        id.str(), static_cast<int>(state), attempts, host, reply, last_error,
                        ToUnixMillis(at), kPending0, kPending1, kPreparing),
        "pending secure copy");
  });
}

Status PgSecureDeliveryWriter::ReportCopyOutcome(const SecureCopyId& id, SecureCopyState state,
                                                 const std::string& last_error, TimePoint at) {
  if (state != SecureCopyState::kFailed && state != SecureCopyState::kReportedDelayed) {
    return InvalidArgument("a report marks a copy failed or delayed");
  }
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("UPDATE secure_copies SET state = $2, last_error = $3, "
                                        "finished_ms = CASE WHEN $4 THEN $5 ELSE finished_ms END "
                                        "WHERE id = $1 AND state IN ($6, $7)",
                                        id.str(), static_cast<int>(state), last_error,
                                        state == SecureCopyState::kFailed, ToUnixMillis(at),
                                        static_cast<int>(SecureCopyState::kDelivered),
                                        static_cast<int>(SecureCopyState::kReportedDelayed)),
                        "delivered secure copy");
  });
}

}  // namespace sealpost::store::postgres
