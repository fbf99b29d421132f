#include "store/postgres/internal/retention.h"

#include <string>

namespace sealpost::store::postgres {
namespace {

// The statements of this domain are its own (not in the shared catalogue): plain parameterised
// statements, run a few times per retention batch or administrator action.
const std::string kHoldColumns =
    "id, target, subject, reason, placed_by, placed_ms, released_by, released_ms";
const std::string kTombstoneColumns = "message_id, kind, owner, run_id, shredded_ms";
const std::string kPolicyColumns = "domain, days, set_by, updated_ms";
// The domain of a users row's address (addresses are stored normalised, lower-case).
const std::string kDomainOf = "split_part(u.email, '@', 2)";
const std::string kHasKeys =
    "(length(p.wrapped_key) > 0 OR length(p.sealed_share) > 0 OR length(p.sender_share) > 0)";

HoldRecord HoldRow(const pqxx::row& r) {
  HoldRecord h{r[0].as<std::string>(), static_cast<HoldTarget>(r[1].as<int>()),
               r[2].as<std::string>(), r[3].as<std::string>(),
               r[4].as<std::string>(), FromUnixMillis(r[5].as<int64_t>())};
  h.released_by = r[6].as<std::string>();
  if (!r[7].is_null()) h.released_at = FromUnixMillis(r[7].as<int64_t>());
  return h;
}

TombstoneRecord TombstoneRow(const pqxx::row& r) {
  return {MessageId::FromTrusted(r[0].as<std::string>()), static_cast<ShredKind>(r[1].as<int>()),
          r[2].as<std::string>(), r[3].as<std::string>(), FromUnixMillis(r[4].as<int64_t>())};
}

RetentionPolicyRecord PolicyRow(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<int64_t>(), r[2].as<std::string>(),
          FromUnixMillis(r[3].as<int64_t>())};
}

template <typename T, typename RowFn>
std::vector<T> Rows(const pqxx::result& r, RowFn row_fn) {
  std::vector<T> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(row_fn(row));
  return out;
}

bool Held(pqxx::transaction_base& tx, HoldTarget target, const std::string& subject) {
  return !tx.exec_params(
                "SELECT 1 FROM legal_holds WHERE target = $1 AND subject = $2 AND "
                "released_ms IS NULL LIMIT 1",
                static_cast<int>(target), subject)
              .empty();
}

}  // namespace

Result<std::vector<RetentionPolicyRecord>> PgRetentionReader::ListPolicies() {
  return reader_.Read<std::vector<RetentionPolicyRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<RetentionPolicyRecord>(
        tx.exec("SELECT " + kPolicyColumns + " FROM retention_policies ORDER BY domain"),
        PolicyRow);
  });
}

Result<RetentionPolicyRecord> PgRetentionReader::GetPolicy(const std::string& domain) {
  return reader_.Read<RetentionPolicyRecord>(
      [&](pqxx::transaction_base& tx) -> Result<RetentionPolicyRecord> {
        const auto r = tx.exec_params(
            "SELECT " + kPolicyColumns + " FROM retention_policies WHERE domain = $1", domain);
        if (r.empty()) return NotFound("retention policy not found");
        return PolicyRow(r[0]);
      });
}

Result<std::vector<HoldRecord>> PgRetentionReader::ListHolds(bool include_released, int limit) {
  return reader_.Read<std::vector<HoldRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<HoldRecord>(tx.exec_params("SELECT " + kHoldColumns +
                                               " FROM legal_holds WHERE $1 OR released_ms IS NULL "
                                               "ORDER BY placed_ms DESC, id LIMIT $2",
                                           include_released, limit),
                            HoldRow);
  });
}

Result<HoldRecord> PgRetentionReader::GetHold(const std::string& id) {
  return reader_.Read<HoldRecord>([&](pqxx::transaction_base& tx) -> Result<HoldRecord> {
    const auto r = tx.exec_params("SELECT " + kHoldColumns + " FROM legal_holds WHERE id = $1", id);
    if (r.empty()) return NotFound("hold not found");
    return HoldRow(r[0]);
  });
}

Result<bool> PgRetentionReader::IsHeld(HoldTarget target, const std::string& subject) {
  return reader_.Read<bool>([&](pqxx::transaction_base& tx) { return Held(tx, target, subject); });
}

Result<std::vector<DueEntry>> PgRetentionReader::ListDueEntries(const std::string& domain,
                                                                TimePoint cutoff, int limit) {
  return reader_.Read<std::vector<DueEntry>>([&](pqxx::transaction_base& tx) {
    return Rows<DueEntry>(
        tx.exec_params(
            "SELECT m.owner_id, m.message_id, m.folder, m.created_ms FROM mailbox m "
            "JOIN users u ON u.id = m.owner_id WHERE m.created_ms < $2 AND " +
                kDomainOf +
                " = $1 AND NOT EXISTS(SELECT 1 FROM legal_holds h WHERE h.released_ms IS NULL "
                "AND ((h.target = 1 AND h.subject = m.owner_id) OR (h.target = 2 AND h.subject "
                "= m.message_id))) ORDER BY m.created_ms, m.message_id LIMIT $3",
            domain, ToUnixMillis(cutoff), limit),
        [](const pqxx::row& r) {
          return DueEntry{UserId::FromTrusted(r[0].as<std::string>()),
                          MessageId::FromTrusted(r[1].as<std::string>()),
                          static_cast<Folder>(r[2].as<int>()), FromUnixMillis(r[3].as<int64_t>())};
        });
  });
}

Result<std::vector<DuePickup>> PgRetentionReader::ListDuePickups(const std::string& domain,
                                                                 TimePoint cutoff, int limit) {
  return reader_.Read<std::vector<DuePickup>>([&](pqxx::transaction_base& tx) {
    return Rows<DuePickup>(
        tx.exec_params(
            "SELECT p.lookup, p.message_id, p.email, p.created_ms FROM pickups p "
            "JOIN users u ON u.id = p.sender_id WHERE p.created_ms < $2 AND " +
                kDomainOf + " = $1 AND " + kHasKeys +
                " AND NOT EXISTS(SELECT 1 FROM legal_holds h WHERE h.released_ms IS NULL AND "
                "((h.target = 1 AND h.subject = p.sender_id) OR (h.target = 2 AND h.subject = "
                "p.message_id))) ORDER BY p.created_ms, p.lookup LIMIT $3",
            domain, ToUnixMillis(cutoff), limit),
        [](const pqxx::row& r) {
          return DuePickup{r[0].as<std::string>(), MessageId::FromTrusted(r[1].as<std::string>()),
                           r[2].as<std::string>(), FromUnixMillis(r[3].as<int64_t>())};
        });
  });
}

Result<std::vector<MessageId>> PgRetentionReader::ListShreddedWithAttachments(int limit) {
  return reader_.Read<std::vector<MessageId>>([&](pqxx::transaction_base& tx) {
    return Rows<MessageId>(
        tx.exec_params(
            "SELECT message_id FROM retention_tombstones WHERE blobs_pending = 1 LIMIT $1", limit),
        [](const pqxx::row& r) { return MessageId::FromTrusted(r[0].as<std::string>()); });
  });
}

Result<std::vector<TombstoneRecord>> PgRetentionReader::ListTombstonesOfMessage(
    const MessageId& id) {
  return reader_.Read<std::vector<TombstoneRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<TombstoneRecord>(
        tx.exec_params("SELECT " + kTombstoneColumns +
                           " FROM retention_tombstones WHERE message_id = $1 ORDER BY kind, owner",
                       id.str()),
        TombstoneRow);
  });
}

Result<std::vector<TombstoneRecord>> PgRetentionReader::ListTombstonesOfRun(
    const std::string& run_id) {
  return reader_.Read<std::vector<TombstoneRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<TombstoneRecord>(tx.exec_params("SELECT " + kTombstoneColumns +
                                                    " FROM retention_tombstones WHERE run_id = $1 "
                                                    "ORDER BY message_id, kind, owner",
                                                run_id),
                                 TombstoneRow);
  });
}

Status PgRetentionWriter::PutPolicy(const RetentionPolicyRecord& p) {
  return txn_.GuardStatus([&] {
    tx_.exec_params("INSERT INTO retention_policies(" + kPolicyColumns +
                        ") VALUES($1,$2,$3,$4) ON CONFLICT(domain) DO UPDATE SET days = "
                        "EXCLUDED.days, set_by = EXCLUDED.set_by, updated_ms = EXCLUDED.updated_ms",
                    p.domain, p.days, p.set_by, ToUnixMillis(p.updated_at));
    return Status::Ok();
  });
}

Status PgRetentionWriter::DeletePolicy(const std::string& domain) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("DELETE FROM retention_policies WHERE domain = $1", domain),
                        "retention policy");
  });
}

Status PgRetentionWriter::PlaceHold(const HoldRecord& h) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params("INSERT INTO legal_holds(" + kHoldColumns +
                            ") VALUES($1,$2,$3,$4,$5,$6,'',NULL) ON CONFLICT DO NOTHING",
                        h.id, static_cast<int>(h.target), h.subject, h.reason, h.placed_by,
                        ToUnixMillis(h.placed_at)),
        "hold");
  });
}

Status PgRetentionWriter::ReleaseHold(const std::string& id, const std::string& released_by,
                                      TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("UPDATE legal_holds SET released_by = $1, released_ms = "
                                        "$2 WHERE id = $3 AND released_ms IS NULL",
                                        released_by, ToUnixMillis(at), id),
                        "active hold");
  });
}

Result<bool> PgRetentionWriter::IsHeld(HoldTarget target, const std::string& subject) {
  return txn_.Guard<bool>([&] { return Held(tx_, target, subject); });
}

Status PgRetentionWriter::ShredEntry(const UserId& owner, const MessageId& id, Folder folder) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("DELETE FROM mailbox WHERE owner_id = $1 AND "
                                        "message_id = $2 AND folder = $3",
                                        owner.str(), id.str(), static_cast<int>(folder)),
                        "mailbox entry");
  });
}

Status PgRetentionWriter::ShredPickup(const std::string& lookup) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("UPDATE pickups SET wrapped_key = '', sealed_share = '', "
                        "sender_share = '', state = CASE WHEN state IN (0, 1) THEN 3 ELSE "
                        "state END WHERE lookup = $1",
                        lookup),
        "pickup");
  });
}

Result<int64_t> PgRetentionWriter::CountKeyHolders(const MessageId& id) {
  return txn_.Guard<int64_t>([&] {
    return tx_
        .exec_params(
            "SELECT (SELECT count(*) FROM mailbox WHERE message_id = $1) + "
            "(SELECT count(*) FROM pickups p WHERE p.message_id = $1 AND " +
                kHasKeys + ")",
            id.str())[0][0]
        .as<int64_t>();
  });
}

Status PgRetentionWriter::ShredContent(const MessageId& id) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("UPDATE messages SET summary = '', body = '' WHERE id = $1", id.str()),
        "message");
  });
}

Status PgRetentionWriter::DeleteAttachmentRows(const MessageId& id) {
  return txn_.GuardStatus([&] {
    tx_.exec_params("DELETE FROM attachments WHERE message_id = $1", id.str());
    tx_.exec_params(
        "UPDATE retention_tombstones SET blobs_pending = 0 WHERE message_id = $1 AND "
        "blobs_pending = 1",
        id.str());
    return Status::Ok();
  });
}

Status PgRetentionWriter::AddTombstone(const TombstoneRecord& t) {
  return txn_.GuardStatus([&] {
    tx_.exec_params("INSERT INTO retention_tombstones(" + kTombstoneColumns +
                        ", blobs_pending) VALUES($1,$2,$3,$4,$5, CASE WHEN $2 = 0 AND "
                        "EXISTS(SELECT 1 FROM attachments WHERE message_id = $1) THEN 1 ELSE 0 "
                        "END) ON CONFLICT DO NOTHING",
                    t.message_id.str(), static_cast<int>(t.kind), t.owner, t.run_id,
                    ToUnixMillis(t.shredded_at));
    return Status::Ok();
  });
}

}  // namespace sealpost::store::postgres
