#include "store/postgres/internal/app_passwords.h"

#include <string>

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {
namespace {

// The statements of this domain are its own (not in the shared catalogue): plain parameterised
// statements, few and cheap enough not to need preparing.
const std::string kSelect =
    "SELECT id, lookup, user_id, name, wrapped_umk, created_ms, last_used_ms, revoked_ms "
    "FROM app_passwords";

AppPasswordRecord AppPasswordRow(const pqxx::row& r) {
  AppPasswordRecord p;
  p.id = r[0].as<std::string>();
  p.lookup = r[1].as<std::string>();
  p.user_id = UserId::FromTrusted(r[2].as<std::string>());
  p.name = r[3].as<std::string>();
  p.wrapped_umk = ReadBytes(r[4]);
  p.created_at = FromUnixMillis(r[5].as<int64_t>());
  if (!r[6].is_null()) p.last_used_at = FromUnixMillis(r[6].as<int64_t>());
  if (!r[7].is_null()) p.revoked_at = FromUnixMillis(r[7].as<int64_t>());
  return p;
}

}  // namespace

Result<AppPasswordRecord> PgAppPasswordReader::GetAppPasswordByLookup(const std::string& lookup) {
  return reader_.Read<AppPasswordRecord>(
      [&](pqxx::transaction_base& tx) -> Result<AppPasswordRecord> {
        const auto r = tx.exec_params(kSelect + " WHERE lookup = $1", lookup);
        if (r.empty()) return NotFound("app password not found");
        return AppPasswordRow(r[0]);
      });
}

Result<std::vector<AppPasswordRecord>> PgAppPasswordReader::ListAppPasswordsOfUser(
    const UserId& user_id) {
  using Out = std::vector<AppPasswordRecord>;
  return reader_.Read<Out>([&](pqxx::transaction_base& tx) -> Result<Out> {
    const auto r =
        tx.exec_params(kSelect + " WHERE user_id = $1 ORDER BY created_ms DESC, id", user_id.str());
    Out out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(AppPasswordRow(row));
    return out;
  });
}

Status PgAppPasswordWriter::CreateAppPassword(const AppPasswordRecord& p) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params("INSERT INTO app_passwords(id, lookup, user_id, name, wrapped_umk, "
                        "created_ms) VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
                        p.id, p.lookup, p.user_id.str(), p.name, Bin(p.wrapped_umk),
                        ToUnixMillis(p.created_at)),
        "app password");
  });
}

Result<int64_t> PgAppPasswordWriter::CountLiveAppPasswordsOfUser(const UserId& user_id) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = tx_.exec_params(
        "SELECT count(*) FROM app_passwords WHERE user_id = $1 AND revoked_ms IS NULL",
        user_id.str());
    return r[0][0].as<int64_t>();
  });
}

Status PgAppPasswordWriter::RevokeAppPassword(const UserId& user_id, const std::string& id,
                                              TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("UPDATE app_passwords SET revoked_ms = $1, wrapped_umk = ''::bytea "
                        "WHERE user_id = $2 AND id = $3 AND revoked_ms IS NULL",
                        ToUnixMillis(at), user_id.str(), id),
        "app password");
  });
}

Result<int64_t> PgAppPasswordWriter::RevokeAppPasswordsOfUser(const UserId& user_id, TimePoint at) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = tx_.exec_params(
        "UPDATE app_passwords SET revoked_ms = $1, wrapped_umk = ''::bytea "
        "WHERE user_id = $2 AND revoked_ms IS NULL",
        ToUnixMillis(at), user_id.str());
    return static_cast<int64_t>(r.affected_rows());
  });
}

Status PgAppPasswordWriter::PruneRevokedAppPasswords(const UserId& user_id, int keep) {
  return txn_.GuardStatus([&] {
    tx_.exec_params(
        "DELETE FROM app_passwords WHERE user_id = $1 AND revoked_ms IS NOT NULL "
        "AND id NOT IN (SELECT id FROM app_passwords WHERE user_id = $1 "
        "AND revoked_ms IS NOT NULL ORDER BY revoked_ms DESC, id LIMIT $2)",
        user_id.str(), keep);
    return Status::Ok();
  });
}

Status PgAppPasswordWriter::TouchAppPassword(const std::string& lookup, TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("UPDATE app_passwords SET last_used_ms = $1 "
                                        "WHERE lookup = $2 AND revoked_ms IS NULL",
                                        ToUnixMillis(at), lookup),
                        "app password");
  });
}

}  // namespace sealpost::store::postgres
