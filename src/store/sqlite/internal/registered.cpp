#include "store/sqlite/internal/registered.h"

#include <string>

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kColumns = "message_id, recipient, deadline_ms, state, decided_ms";

RegisteredRecipientRecord Row(const Statement& s) {
  RegisteredRecipientRecord r{MessageId::FromTrusted(s.Text(0)), s.Text(1),
                              FromUnixMillis(s.Int(2)), static_cast<RegisteredState>(s.Int(3)),
                              std::nullopt};
  if (r.state != RegisteredState::kPending) r.decided_at = FromUnixMillis(s.Int(4));
  return r;
}

Result<std::vector<RegisteredRecipientRecord>> Rows(Statement& s) {
  std::vector<RegisteredRecipientRecord> out;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    out.push_back(Row(s));
  }
  return out;
}

}  // namespace

Result<RegisteredRecipientRecord> SqliteRegisteredReader::GetRegisteredRecipient(
    const MessageId& message_id, const std::string& recipient) {
  return pool_.ReadOne<RegisteredRecipientRecord>(
      std::string("SELECT ") + kColumns +
          " FROM registered_recipients WHERE message_id = ? AND recipient = ?",
      [&](Statement& s) { s.Bind(1, message_id.str()).Bind(2, recipient); }, Row,
      "registered recipient");
}

Result<std::vector<RegisteredRecipientRecord>> SqliteRegisteredReader::ListRegisteredRecipients(
    const MessageId& message_id) {
  return pool_.WithReader<std::vector<RegisteredRecipientRecord>>(
      [&](Connection& db) -> Result<std::vector<RegisteredRecipientRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kColumns +
                                               " FROM registered_recipients WHERE message_id = ? "
                                               "ORDER BY recipient"));
        s.Bind(1, message_id.str());
        return Rows(s);
      });
}

Result<std::vector<RegisteredRecipientRecord>> SqliteRegisteredReader::ListOverdueRegistered(
    TimePoint now, int limit) {
  return pool_.WithReader<std::vector<RegisteredRecipientRecord>>(
      [&](Connection& db) -> Result<std::vector<RegisteredRecipientRecord>> {
        SP_ASSIGN_OR_RETURN(
            auto s, db.Prepare(std::string("SELECT ") + kColumns +
                               " FROM registered_recipients WHERE state = 0 AND deadline_ms <= ? "
                               "ORDER BY deadline_ms, message_id, recipient LIMIT ?"));
        s.Bind(1, ToUnixMillis(now)).Bind(2, static_cast<int64_t>(limit));
        return Rows(s);
      });
}

Status SqliteRegisteredWriter::AddRegisteredRecipient(const RegisteredRecipientRecord& r) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO registered_recipients(") +
                                          kColumns + ") VALUES(?,?,?,?,?)"));
  return s.Bind(1, r.message_id.str())
      .Bind(2, r.recipient)
      .Bind(3, ToUnixMillis(r.deadline))
      .Bind(4, static_cast<int64_t>(r.state))
      .Bind(5, r.decided_at ? ToUnixMillis(*r.decided_at) : int64_t{0})
      .Run();
}

Status SqliteRegisteredWriter::DecideRegistered(const MessageId& message_id,
                                                const std::string& recipient, RegisteredState state,
                                                TimePoint when) {
  if (state == RegisteredState::kPending) return InvalidArgument("a decision cannot be pending");
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE registered_recipients SET state = ?, "
                                          "decided_ms = ? WHERE message_id = ? AND "
                                          "recipient = ? AND state = 0"));
  SP_RETURN_IF_ERROR(s.Bind(1, static_cast<int64_t>(state))
                         .Bind(2, ToUnixMillis(when))
                         .Bind(3, message_id.str())
                         .Bind(4, recipient)
                         .Run());
  if (db_.Changes() > 0) return Status::Ok();
  SP_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT state FROM registered_recipients WHERE "
                                          "message_id = ? AND recipient = ?"));
  q.Bind(1, message_id.str()).Bind(2, recipient);
  SP_ASSIGN_OR_RETURN(const bool row, q.Step());
  if (!row) return NotFound("registered recipient not found");
  return Conflict("the registered message was decided already");
}

}  // namespace sealpost::store::sqlite
