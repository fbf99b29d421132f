#include "store/postgres/internal/registered.h"

#include <string>

namespace sealpost::store::postgres {
namespace {

// The statements of this domain are its own (not in the shared catalogue): plain parameterised
// statements, few and cheap enough not to need preparing.
const std::string kColumns = "message_id, recipient, deadline_ms, state, decided_ms";

RegisteredRecipientRecord Row(const pqxx::row& r) {
  RegisteredRecipientRecord out{MessageId::FromTrusted(r[0].as<std::string>()),
                                r[1].as<std::string>(), FromUnixMillis(r[2].as<int64_t>()),
                                static_cast<RegisteredState>(r[3].as<int>()), std::nullopt};
  if (out.state != RegisteredState::kPending) out.decided_at = FromUnixMillis(r[4].as<int64_t>());
  return out;
}

std::vector<RegisteredRecipientRecord> Rows(const pqxx::result& r) {
  std::vector<RegisteredRecipientRecord> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(Row(row));
  return out;
}

}  // namespace

Result<RegisteredRecipientRecord> PgRegisteredReader::GetRegisteredRecipient(
    const MessageId& message_id, const std::string& recipient) {
  return reader_.Read<RegisteredRecipientRecord>(
      [&](pqxx::transaction_base& tx) -> Result<RegisteredRecipientRecord> {
        const auto r = tx.exec_params("SELECT " + kColumns +
                                          " FROM registered_recipients WHERE message_id = $1 AND "
                                          "recipient = $2",
                                      message_id.str(), recipient);
        if (r.empty()) return NotFound("registered recipient not found");
        return Row(r[0]);
      });
}

Result<std::vector<RegisteredRecipientRecord>> PgRegisteredReader::ListRegisteredRecipients(
    const MessageId& message_id) {
  return reader_.Read<std::vector<RegisteredRecipientRecord>>([&](pqxx::transaction_base& tx) {
    return Rows(tx.exec_params("SELECT " + kColumns +
                                   " FROM registered_recipients WHERE message_id = $1 "
                                   "ORDER BY recipient",
                               message_id.str()));
  });
}

Result<std::vector<RegisteredRecipientRecord>> PgRegisteredReader::ListOverdueRegistered(
    TimePoint now, int limit) {
  return reader_.Read<std::vector<RegisteredRecipientRecord>>([&](pqxx::transaction_base& tx) {
    return Rows(tx.exec_params("SELECT " + kColumns +
                                   " FROM registered_recipients WHERE state = 0 AND "
                                   "deadline_ms <= $1 ORDER BY deadline_ms, message_id, "
                                   "recipient LIMIT $2",
                               ToUnixMillis(now), static_cast<int64_t>(limit)));
  });
}

Status PgRegisteredWriter::AddRegisteredRecipient(const RegisteredRecipientRecord& r) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(tx_.exec_params("INSERT INTO registered_recipients(" + kColumns +
                                              ") VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
                                          r.message_id.str(), r.recipient, ToUnixMillis(r.deadline),
                                          static_cast<int>(r.state),
                                          r.decided_at ? ToUnixMillis(*r.decided_at) : int64_t{0}),
                          "registered recipient");
  });
}

Status PgRegisteredWriter::DecideRegistered(const MessageId& message_id,
                                            const std::string& recipient, RegisteredState state,
                                            TimePoint when) {
  if (state == RegisteredState::kPending) return InvalidArgument("a decision cannot be pending");
  return txn_.GuardStatus([&]() -> Status {
    const auto updated = tx_.exec_params(
        "UPDATE registered_recipients SET state = $1, decided_ms = $2 WHERE message_id = $3 AND "
        "recipient = $4 AND state = 0",
        static_cast<int>(state), ToUnixMillis(when), message_id.str(), recipient);
    if (updated.affected_rows() > 0) return Status::Ok();
    const auto exists = tx_.exec_params(
        "SELECT 1 FROM registered_recipients WHERE message_id = $1 AND recipient = $2",
        message_id.str(), recipient);
    if (exists.empty()) return NotFound("registered recipient not found");
    return Conflict("the registered message was decided already");
  });
}

}  // namespace sealpost::store::postgres
