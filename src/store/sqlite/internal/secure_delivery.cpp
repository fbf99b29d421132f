#include "store/sqlite/internal/secure_delivery.h"

#include <string>

namespace sealpost::store::sqlite {
namespace {

// Columns 0..13; the sealed copy (14) only where a deliverer needs it.
constexpr const char* kCopyColumns =
    "id, message_id, sender_id, recipient, method, state, host, reply, last_error, created_ms, "
    "next_attempt_ms, attempts, lease_until_ms, finished_ms";
constexpr int kPending0 = static_cast<int>(SecureCopyState::kQueued);
constexpr int kPending1 = static_cast<int>(SecureCopyState::kDeferred);
constexpr int kPreparing = static_cast<int>(SecureCopyState::kPreparing);

bool IsNull(const Statement& s, int col) {
  return sqlite3_column_type(s.raw(), col) == SQLITE_NULL;
}

SecureCopyRecord ReadCopy(const Statement& s, bool with_copy) {
  SecureCopyRecord c;
  c.id = SecureCopyId::FromTrusted(s.Text(0));
  c.message_id = MessageId::FromTrusted(s.Text(1));
  c.sender_id = UserId::FromTrusted(s.Text(2));
  c.recipient = s.Text(3);
  c.method = s.Text(4);
  c.state = static_cast<SecureCopyState>(s.Int(5));
  c.host = s.Text(6);
  c.reply = s.Text(7);
  c.last_error = s.Text(8);
  c.created_at = FromUnixMillis(s.Int(9));
  c.next_attempt_at = FromUnixMillis(s.Int(10));
  c.attempts = static_cast<int>(s.Int(11));
  if (!IsNull(s, 12)) c.lease_until = FromUnixMillis(s.Int(12));
  if (!IsNull(s, 13)) c.finished_at = FromUnixMillis(s.Int(13));
  if (with_copy) c.sealed_copy = s.Blob(14);
  return c;
}

Result<std::vector<SecureCopyRecord>> ReadAll(Statement& s, bool with_copy) {
  std::vector<SecureCopyRecord> out;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    out.push_back(ReadCopy(s, with_copy));
  }
  return out;
}

}  // namespace

Result<std::vector<SecureCopyRecord>> SqliteSecureDeliveryReader::ListCopiesOfMessage(
    const MessageId& id) {
  return pool_.WithReader<std::vector<SecureCopyRecord>>(
      [&](Connection& db) -> Result<std::vector<SecureCopyRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kCopyColumns +
                                               " FROM secure_copies WHERE message_id = ? "
                                               "ORDER BY recipient, id"));
        s.Bind(1, id.str());
        return ReadAll(s, false);
      });
}

Result<std::vector<SecureCopyRecord>> SqliteSecureDeliveryReader::ListPendingCopies(int limit) {
  return pool_.WithReader<std::vector<SecureCopyRecord>>(
      [&](Connection& db) -> Result<std::vector<SecureCopyRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kCopyColumns +
                                               " FROM secure_copies WHERE state IN (?1, ?2) "
                                               "ORDER BY next_attempt_ms, id LIMIT ?3"));
        s.Bind(1, int64_t{kPending0}).Bind(2, int64_t{kPending1}).Bind(3, int64_t{limit});
        return ReadAll(s, false);
      });
}

Result<SecureCopyRecord> SqliteSecureDeliveryReader::GetCopy(const SecureCopyId& id) {
  return pool_.WithReader<SecureCopyRecord>([&](Connection& db) -> Result<SecureCopyRecord> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kCopyColumns +
                                           " FROM secure_copies WHERE id = ?"));
    s.Bind(1, id.str());
    SP_ASSIGN_OR_RETURN(std::vector<SecureCopyRecord> rows, ReadAll(s, false));
    if (rows.empty()) return NotFound("no such secure copy");
    return std::move(rows.front());
  });
}

Status SqliteSecureDeliveryWriter::EnqueueCopy(const SecureCopyRecord& c) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO secure_copies(") + kCopyColumns +
                                          ", sealed_copy) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, c.id.str()).Bind(2, c.message_id.str()).Bind(3, c.sender_id.str());
  s.Bind(4, c.recipient).Bind(5, c.method).Bind(6, int64_t{static_cast<int>(c.state)});
  s.Bind(7, c.host).Bind(8, c.reply).Bind(9, c.last_error).Bind(10, ToUnixMillis(c.created_at));
  s.Bind(11, ToUnixMillis(c.next_attempt_at)).Bind(12, int64_t{c.attempts});
  if (c.lease_until) {
    s.Bind(13, ToUnixMillis(*c.lease_until));
  } else {
    s.BindNull(13);
  }
  if (c.finished_at) {
    s.Bind(14, ToUnixMillis(*c.finished_at));
  } else {
    s.BindNull(14);
  }
  return s.Bind(15, ByteView(c.sealed_copy)).Run();
}

Result<std::vector<SecureCopyRecord>> SqliteSecureDeliveryWriter::ClaimDueCopies(
    TimePoint now, TimePoint lease_until, int limit) {
  // One writer at a time (the writer thread): selecting then leasing cannot race in SQLite.
  std::vector<SecureCopyRecord> due;
  {
    SP_ASSIGN_OR_RETURN(auto s,
                        db_.Prepare(std::string("SELECT ") + kCopyColumns +
                                    ", sealed_copy FROM secure_copies WHERE state IN (?3, ?4) "
                                    "AND next_attempt_ms <= ?1 "
                                    "AND (lease_until_ms IS NULL OR lease_until_ms <= ?1) "
                                    "ORDER BY next_attempt_ms, id LIMIT ?2"));
    s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit});
    s.Bind(3, int64_t{kPending0}).Bind(4, int64_t{kPending1});
    SP_ASSIGN_OR_RETURN(due, ReadAll(s, true));
  }
  for (SecureCopyRecord& c : due) {
    SP_ASSIGN_OR_RETURN(auto s,
                        db_.Prepare("UPDATE secure_copies SET lease_until_ms = ? WHERE id = ?"));
    SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(lease_until)).Bind(2, c.id.str()).Run());
    c.lease_until = lease_until;
  }
  return due;
}

Status SqliteSecureDeliveryWriter::QueuePreparedCopy(const SecureCopyId& id,
                                                     const std::string& method,
                                                     const Bytes& sealed_copy, TimePoint now) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE secure_copies SET state = ?, method = ?, "
                                          "sealed_copy = ?, next_attempt_ms = ?, "
                                          "lease_until_ms = NULL WHERE id = ? AND state = ?"));
  s.Bind(1, int64_t{kPending0}).Bind(2, method).Bind(3, ByteView(sealed_copy));
  s.Bind(4, ToUnixMillis(now)).Bind(5, id.str()).Bind(6, int64_t{kPreparing});
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow(db_, "preparing secure copy");
}

Status SqliteSecureDeliveryWriter::ExtendPreparation(const MessageId& message,
                                                     TimePoint lease_until) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE secure_copies SET lease_until_ms = ? "
                                          "WHERE message_id = ? AND state = ?"));
  s.Bind(1, ToUnixMillis(lease_until)).Bind(2, message.str()).Bind(3, int64_t{kPreparing});
  return s.Run();
}

Result<std::vector<SecureCopyRecord>> SqliteSecureDeliveryWriter::ListAbandonedCopies(TimePoint now,
                                                                                      int limit) {
  // The state as a literal: only then can SQLite use the partial index secure_copies_preparing.
  static_assert(kPreparing == 5);
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("SELECT ") + kCopyColumns +
                                          " FROM secure_copies WHERE state = 5 "
                                          "AND lease_until_ms <= ?1 "
                                          "ORDER BY lease_until_ms, id LIMIT ?2"));
  s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit});
  return ReadAll(s, false);
}

Status SqliteSecureDeliveryWriter::DeferCopy(const SecureCopyId& id, TimePoint next_attempt_at,
                                             int attempts, const std::string& last_error) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE secure_copies SET state = ?, "
                                  "next_attempt_ms = ?, attempts = ?, last_error = ?, "
                                  "lease_until_ms = NULL WHERE id = ? AND state IN (?, ?)"));
  s.Bind(1, int64_t{static_cast<int>(SecureCopyState::kDeferred)});
  s.Bind(2, ToUnixMillis(next_attempt_at)).Bind(3, int64_t{attempts}).Bind(4, last_error);
  s.Bind(5, id.str()).Bind(6, int64_t{kPending0}).Bind(7, int64_t{kPending1});
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow(db_, "pending secure copy");
}

Status SqliteSecureDeliveryWriter::FinishCopy(const SecureCopyId& id, SecureCopyState state,
                                              int attempts, const std::string& host,
                                              const std::string& reply,
                                              const std::string& last_error, TimePoint at) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("UPDATE secure_copies SET state = ?, attempts = ?, host = ?, "
                          "reply = ?, last_error = ?, finished_ms = ?, lease_until_ms = NULL, "
                          "sealed_copy = X'' WHERE id = ? AND state IN (?, ?, ?)"));
  s.Bind(1, int64_t{static_cast<int>(state)}).Bind(2, int64_t{attempts}).Bind(3, host);
  s.Bind(4, reply).Bind(5, last_error).Bind(6, ToUnixMillis(at)).Bind(7, id.str());
  s.Bind(8, int64_t{kPending0}).Bind(9, int64_t{kPending1}).Bind(10, int64_t{kPreparing});
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow(db_, "pending secure copy");
}

Status SqliteSecureDeliveryWriter::ReportCopyOutcome(const SecureCopyId& id, SecureCopyState state,
                                                     const std::string& last_error, TimePoint at) {
  if (state != SecureCopyState::kFailed && state != SecureCopyState::kReportedDelayed) {
    return InvalidArgument("a report marks a copy failed or delayed");
  }
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE secure_copies SET state = ?, last_error = ?, "
                                          "finished_ms = CASE WHEN ? THEN ? ELSE finished_ms END "
                                          "WHERE id = ? AND state IN (?, ?)"));
  s.Bind(1, int64_t{static_cast<int>(state)}).Bind(2, last_error);
  s.Bind(3, int64_t{state == SecureCopyState::kFailed ? 1 : 0}).Bind(4, ToUnixMillis(at));
  s.Bind(5, id.str()).Bind(6, int64_t{static_cast<int>(SecureCopyState::kDelivered)});
  s.Bind(7, int64_t{static_cast<int>(SecureCopyState::kReportedDelayed)});
  SP_RETURN_IF_ERROR(s.Run());
  return ExpectOneRow(db_, "delivered secure copy");
}

}  // namespace sealpost::store::sqlite
