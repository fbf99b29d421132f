#include "store/postgres/internal/access.h"

#include <string>

namespace sealpost::store::postgres {
namespace {

// The statements of this domain are its own (not in the shared catalogue): plain parameterised
// statements, few and cheap enough not to need preparing.
const std::string kGrantColumns = "user_id, role, domain, granted_by, granted_ms";
const std::string kTokenColumns =
    "public_id, lookup, user_id, name, role, created_ms, expires_ms, last_used_ms";

RoleGrantRecord GrantRow(const pqxx::row& r) {
  return {UserId::FromTrusted(r[0].as<std::string>()), static_cast<Role>(r[1].as<int>()),
          r[2].as<std::string>(), r[3].as<std::string>(), FromUnixMillis(r[4].as<int64_t>())};
}

ApiTokenRecord TokenRow(const pqxx::row& r) {
  ApiTokenRecord t;
  t.public_id = r[0].as<std::string>();
  t.lookup = r[1].as<std::string>();
  t.user_id = UserId::FromTrusted(r[2].as<std::string>());
  t.name = r[3].as<std::string>();
  t.role = static_cast<Role>(r[4].as<int>());
  t.created_at = FromUnixMillis(r[5].as<int64_t>());
  t.expires_at = FromUnixMillis(r[6].as<int64_t>());
  if (!r[7].is_null()) t.last_used_at = FromUnixMillis(r[7].as<int64_t>());
  return t;
}

template <typename T, typename RowFn>
std::vector<T> Rows(const pqxx::result& r, RowFn row_fn) {
  std::vector<T> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(row_fn(row));
  return out;
}

}  // namespace

Result<std::vector<RoleGrantRecord>> PgAccessReader::ListRoleGrantsOfUser(const UserId& user_id) {
  return reader_.Read<std::vector<RoleGrantRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<RoleGrantRecord>(
        tx.exec_params("SELECT " + kGrantColumns +
                           " FROM role_grants WHERE user_id = $1 ORDER BY role, domain",
                       user_id.str()),
        GrantRow);
  });
}

Result<std::vector<RoleGrantRecord>> PgAccessReader::ListRoleGrants(int limit) {
  return reader_.Read<std::vector<RoleGrantRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<RoleGrantRecord>(
        tx.exec_params(
            "SELECT " + kGrantColumns + " FROM role_grants ORDER BY domain, user_id, role LIMIT $1",
            limit),
        GrantRow);
  });
}

Result<std::vector<UserRecord>> PgAccessReader::ListUsersOfDomain(const std::string& domain,
                                                                  const std::string* after_email,
                                                                  int limit) {
  // As on SQLite: the address ends in "@<domain>", compared as a suffix (no LIKE escaping).
  return reader_.Read<std::vector<UserRecord>>([&](pqxx::transaction_base& tx) {
    const std::string sql = std::string("SELECT ") + UserColumns() +
                            " FROM users WHERE right(email, length($1) + 1) = '@' || $1 " +
                            (after_email ? "AND email > $3 " : "") + "ORDER BY email LIMIT $2";
    return Rows<UserRecord>(after_email ? tx.exec_params(sql, domain, limit, *after_email)
                                        : tx.exec_params(sql, domain, limit),
                            ReadUser);
  });
}

Result<ApiTokenRecord> PgAccessReader::GetApiToken(const std::string& lookup) {
  return reader_.Read<ApiTokenRecord>([&](pqxx::transaction_base& tx) -> Result<ApiTokenRecord> {
    const auto r =
        tx.exec_params("SELECT " + kTokenColumns + " FROM api_tokens WHERE lookup = $1", lookup);
    if (r.empty()) return NotFound("API token not found");
    return TokenRow(r[0]);
  });
}

Result<std::vector<ApiTokenRecord>> PgAccessReader::ListApiTokensOfUser(const UserId& user_id) {
  return reader_.Read<std::vector<ApiTokenRecord>>([&](pqxx::transaction_base& tx) {
    return Rows<ApiTokenRecord>(
        tx.exec_params("SELECT " + kTokenColumns +
                           " FROM api_tokens WHERE user_id = $1 ORDER BY created_ms DESC, "
                           "public_id",
                       user_id.str()),
        TokenRow);
  });
}

Status PgAccessWriter::PutRoleGrant(const RoleGrantRecord& g) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(tx_.exec_params("INSERT INTO role_grants(" + kGrantColumns +
                                              ") VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
                                          g.user_id.str(), static_cast<int>(g.role), g.domain,
                                          g.granted_by, ToUnixMillis(g.granted_at)),
                          "role grant");
  });
}

Status PgAccessWriter::DeleteRoleGrant(const UserId& user_id, Role role,
                                       const std::string& domain) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND domain = $3",
                        user_id.str(), static_cast<int>(role), domain),
        "role grant");
  });
}

Status PgAccessWriter::CreateApiToken(const ApiTokenRecord& t) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params("INSERT INTO api_tokens(public_id, lookup, user_id, name, role, "
                        "created_ms, expires_ms) VALUES($1,$2,$3,$4,$5,$6,$7) "
                        "ON CONFLICT DO NOTHING",
                        t.public_id, t.lookup, t.user_id.str(), t.name, static_cast<int>(t.role),
                        ToUnixMillis(t.created_at), ToUnixMillis(t.expires_at)),
        "API token");
  });
}

Status PgAccessWriter::DeleteApiToken(const UserId& user_id, const std::string& public_id) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(
        tx_.exec_params("DELETE FROM api_tokens WHERE user_id = $1 AND public_id = $2",
                        user_id.str(), public_id),
        "API token");
  });
}

Status PgAccessWriter::TouchApiToken(const std::string& lookup, TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("UPDATE api_tokens SET last_used_ms = $1 WHERE lookup = $2",
                                        ToUnixMillis(at), lookup),
                        "API token");
  });
}

}  // namespace sealpost::store::postgres
