#include "store/sqlite/internal/retention.h"

#include <functional>
#include <string>

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kHoldColumns =
    "id, target, subject, reason, placed_by, placed_ms, released_by, released_ms";

HoldRecord HoldRow(const Statement& s) {
  HoldRecord h{s.Text(0), static_cast<HoldTarget>(s.Int(1)), s.Text(2), s.Text(3),
               s.Text(4), FromUnixMillis(s.Int(5))};
  h.released_by = s.Text(6);
  if (sqlite3_column_type(s.raw(), 7) != SQLITE_NULL) h.released_at = FromUnixMillis(s.Int(7));
  return h;
}

constexpr const char* kTombstoneColumns = "message_id, kind, owner, run_id, shredded_ms";

TombstoneRecord TombstoneRow(const Statement& s) {
  return {MessageId::FromTrusted(s.Text(0)), static_cast<ShredKind>(s.Int(1)), s.Text(2), s.Text(3),
          FromUnixMillis(s.Int(4))};
}

RetentionPolicyRecord PolicyRow(const Statement& s) {
  return {s.Text(0), s.Int(1), s.Text(2), FromUnixMillis(s.Int(3))};
}

// The domain of a users row's address (addresses are stored normalised, lower-case).
constexpr const char* kDomainOf = "substr(u.email, instr(u.email, '@') + 1)";

template <typename T, typename RowFn>
Result<std::vector<T>> ReadAll(Connection& db, const std::string& sql,
                               const std::function<void(Statement&)>& bind, RowFn row_fn) {
  SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
  bind(s);
  std::vector<T> out;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    out.push_back(row_fn(s));
  }
  return out;
}

Result<bool> Held(Connection& db, HoldTarget target, const std::string& subject) {
  SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT 1 FROM legal_holds WHERE target = ? AND "
                                         "subject = ? AND released_ms IS NULL LIMIT 1"));
  s.Bind(1, static_cast<int64_t>(target)).Bind(2, subject);
  return s.Step();
}

}  // namespace

Result<std::vector<RetentionPolicyRecord>> SqliteRetentionReader::ListPolicies() {
  return pool_.WithReader<std::vector<RetentionPolicyRecord>>(
      [](Connection& db) -> Result<std::vector<RetentionPolicyRecord>> {
        return ReadAll<RetentionPolicyRecord>(
            db, "SELECT domain, days, set_by, updated_ms FROM retention_policies ORDER BY domain",
            [](Statement&) {}, PolicyRow);
      });
}

Result<RetentionPolicyRecord> SqliteRetentionReader::GetPolicy(const std::string& domain) {
  return pool_.ReadOne<RetentionPolicyRecord>(
      "SELECT domain, days, set_by, updated_ms FROM retention_policies WHERE domain = ?",
      [&](Statement& s) { s.Bind(1, domain); }, PolicyRow, "retention policy");
}

Result<std::vector<HoldRecord>> SqliteRetentionReader::ListHolds(bool include_released, int limit) {
  return pool_.WithReader<std::vector<HoldRecord>>(
      [&](Connection& db) -> Result<std::vector<HoldRecord>> {
        return ReadAll<HoldRecord>(
            db,
            std::string("SELECT ") + kHoldColumns +
                " FROM legal_holds WHERE ? OR released_ms IS NULL "
                "ORDER BY placed_ms DESC, id LIMIT ?",
            [&](Statement& s) {
              s.Bind(1, int64_t{include_released ? 1 : 0}).Bind(2, int64_t{limit});
            },
            HoldRow);
      });
}

Result<HoldRecord> SqliteRetentionReader::GetHold(const std::string& id) {
  return pool_.ReadOne<HoldRecord>(
      std::string("SELECT ") + kHoldColumns + " FROM legal_holds WHERE id = ?",
      [&](Statement& s) { s.Bind(1, id); }, HoldRow, "hold");
}

Result<bool> SqliteRetentionReader::IsHeld(HoldTarget target, const std::string& subject) {
  return pool_.WithReader<bool>([&](Connection& db) { return Held(db, target, subject); });
}

Result<std::vector<DueEntry>> SqliteRetentionReader::ListDueEntries(const std::string& domain,
                                                                    TimePoint cutoff, int limit) {
  const std::string sql =
      std::string(
          "SELECT m.owner_id, m.message_id, m.folder, m.created_ms FROM mailbox m "
          "JOIN users u ON u.id = m.owner_id WHERE m.created_ms < ?2 AND ") +
      kDomainOf +
      " = ?1 AND NOT EXISTS(SELECT 1 FROM legal_holds h WHERE h.released_ms IS NULL AND "
      "((h.target = 1 AND h.subject = m.owner_id) OR (h.target = 2 AND h.subject = "
      "m.message_id))) ORDER BY m.created_ms, m.message_id LIMIT ?3";
  return pool_.WithReader<std::vector<DueEntry>>(
      [&](Connection& db) -> Result<std::vector<DueEntry>> {
        return ReadAll<DueEntry>(
            db, sql,
            [&](Statement& s) {
              s.Bind(1, domain).Bind(2, ToUnixMillis(cutoff)).Bind(3, int64_t{limit});
            },
            [](const Statement& s) {
              return DueEntry{UserId::FromTrusted(s.Text(0)), MessageId::FromTrusted(s.Text(1)),
                              static_cast<Folder>(s.Int(2)), FromUnixMillis(s.Int(3))};
            });
      });
}

Result<std::vector<DuePickup>> SqliteRetentionReader::ListDuePickups(const std::string& domain,
                                                                     TimePoint cutoff, int limit) {
  const std::string sql =
      std::string(
          "SELECT p.lookup, p.message_id, p.email, p.created_ms FROM pickups p "
          "JOIN users u ON u.id = p.sender_id WHERE p.created_ms < ?2 AND ") +
      kDomainOf +
      " = ?1 AND (length(p.wrapped_key) > 0 OR length(p.sealed_share) > 0 OR "
      "length(p.sender_share) > 0) AND NOT EXISTS(SELECT 1 FROM legal_holds h WHERE "
      "h.released_ms IS NULL AND ((h.target = 1 AND h.subject = p.sender_id) OR (h.target = 2 "
      "AND h.subject = p.message_id))) ORDER BY p.created_ms, p.lookup LIMIT ?3";
  return pool_.WithReader<std::vector<DuePickup>>(
      [&](Connection& db) -> Result<std::vector<DuePickup>> {
        return ReadAll<DuePickup>(
            db, sql,
            [&](Statement& s) {
              s.Bind(1, domain).Bind(2, ToUnixMillis(cutoff)).Bind(3, int64_t{limit});
            },
            [](const Statement& s) {
              return DuePickup{s.Text(0), MessageId::FromTrusted(s.Text(1)), s.Text(2),
                               FromUnixMillis(s.Int(3))};
            });
      });
}

Result<std::vector<MessageId>> SqliteRetentionReader::ListShreddedWithAttachments(int limit) {
  return pool_.WithReader<std::vector<MessageId>>(
      [&](Connection& db) -> Result<std::vector<MessageId>> {
        return ReadAll<MessageId>(
            db, "SELECT message_id FROM retention_tombstones WHERE blobs_pending = 1 LIMIT ?",
            [&](Statement& s) { s.Bind(1, int64_t{limit}); },
            [](const Statement& s) { return MessageId::FromTrusted(s.Text(0)); });
      });
}

Result<std::vector<TombstoneRecord>> SqliteRetentionReader::ListTombstonesOfMessage(
    const MessageId& id) {
  return pool_.WithReader<std::vector<TombstoneRecord>>(
      [&](Connection& db) -> Result<std::vector<TombstoneRecord>> {
        return ReadAll<TombstoneRecord>(
            db,
            std::string("SELECT ") + kTombstoneColumns +
                " FROM retention_tombstones WHERE message_id = ? "
                "ORDER BY kind, owner",
            [&](Statement& s) { s.Bind(1, id.str()); }, TombstoneRow);
      });
}

Result<std::vector<TombstoneRecord>> SqliteRetentionReader::ListTombstonesOfRun(
    const std::string& run_id) {
  return pool_.WithReader<std::vector<TombstoneRecord>>(
      [&](Connection& db) -> Result<std::vector<TombstoneRecord>> {
        return ReadAll<TombstoneRecord>(
            db,
            std::string("SELECT ") + kTombstoneColumns +
                " FROM retention_tombstones WHERE run_id = ? "
                "ORDER BY message_id, kind, owner",
            [&](Statement& s) { s.Bind(1, run_id); }, TombstoneRow);
      });
}

Status SqliteRetentionWriter::PutPolicy(const RetentionPolicyRecord& p) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("INSERT INTO retention_policies(domain, days, set_by, "
                                  "updated_ms) VALUES(?1,?2,?3,?4) ON CONFLICT(domain) DO UPDATE "
                                  "SET days = ?2, set_by = ?3, updated_ms = ?4"));
  return s.Bind(1, p.domain)
      .Bind(2, p.days)
      .Bind(3, p.set_by)
      .Bind(4, ToUnixMillis(p.updated_at))
      .Run();
}

Status SqliteRetentionWriter::DeletePolicy(const std::string& domain) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM retention_policies WHERE domain = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, domain).Run());
  return ExpectOneRow(db_, "retention policy");
}

Status SqliteRetentionWriter::PlaceHold(const HoldRecord& h) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO legal_holds(") + kHoldColumns +
                                          ") VALUES(?,?,?,?,?,?,'',NULL) ON CONFLICT DO NOTHING"));
  SP_RETURN_IF_ERROR(s.Bind(1, h.id)
                         .Bind(2, static_cast<int64_t>(h.target))
                         .Bind(3, h.subject)
                         .Bind(4, h.reason)
                         .Bind(5, h.placed_by)
                         .Bind(6, ToUnixMillis(h.placed_at))
                         .Run());
  if (db_.Changes() == 0) return Conflict("hold already exists");
  return Status::Ok();
}

Status SqliteRetentionWriter::ReleaseHold(const std::string& id, const std::string& released_by,
                                          TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE legal_holds SET released_by = ?, released_ms = "
                                          "? WHERE id = ? AND released_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, released_by).Bind(2, ToUnixMillis(at)).Bind(3, id).Run());
  return ExpectOneRow(db_, "active hold");
}

Result<bool> SqliteRetentionWriter::IsHeld(HoldTarget target, const std::string& subject) {
  return Held(db_, target, subject);
}

Status SqliteRetentionWriter::ShredEntry(const UserId& owner, const MessageId& id, Folder folder) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM mailbox WHERE owner_id = ? AND "
                                          "message_id = ? AND folder = ?"));
  SP_RETURN_IF_ERROR(
      s.Bind(1, owner.str()).Bind(2, id.str()).Bind(3, static_cast<int64_t>(folder)).Run());
  return ExpectOneRow(db_, "mailbox entry");
}

Status SqliteRetentionWriter::ShredPickup(const std::string& lookup) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("UPDATE pickups SET wrapped_key = X'', sealed_share = X'', "
                          "sender_share = X'', state = CASE WHEN state IN (0, 1) THEN 3 ELSE "
                          "state END WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, lookup).Run());
  return ExpectOneRow(db_, "pickup");
}

Result<int64_t> SqliteRetentionWriter::CountKeyHolders(const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("SELECT (SELECT count(*) FROM mailbox WHERE message_id = ?1) + "
                                  "(SELECT count(*) FROM pickups WHERE message_id = ?1 AND "
                                  "(length(wrapped_key) > 0 OR length(sealed_share) > 0 OR "
                                  "length(sender_share) > 0))"));
  s.Bind(1, id.str());
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Internal("count returned no row");
  return s.Int(0);
}

Status SqliteRetentionWriter::ShredContent(const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE messages SET summary = X'', body = X'' WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow(db_, "message");
}

Status SqliteRetentionWriter::DeleteAttachmentRows(const MessageId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM attachments WHERE message_id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  SP_ASSIGN_OR_RETURN(auto done, db_.Prepare("UPDATE retention_tombstones SET blobs_pending = 0 "
                                             "WHERE message_id = ? AND blobs_pending = 1"));
  return done.Bind(1, id.str()).Run();
}

Status SqliteRetentionWriter::AddTombstone(const TombstoneRecord& t) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("INSERT INTO retention_tombstones(") + kTombstoneColumns +
                          ", blobs_pending) VALUES(?1,?2,?3,?4,?5, ?2 = 0 AND EXISTS(SELECT 1 "
                          "FROM attachments WHERE message_id = ?1)) ON CONFLICT DO NOTHING"));
  return s.Bind(1, t.message_id.str())
      .Bind(2, static_cast<int64_t>(t.kind))
      .Bind(3, t.owner)
      .Bind(4, t.run_id)
      .Bind(5, ToUnixMillis(t.shredded_at))
      .Run();
}

}  // namespace sealpost::store::sqlite
