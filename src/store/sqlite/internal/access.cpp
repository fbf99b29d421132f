#include "store/sqlite/internal/access.h"

#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kGrantColumns = "user_id, role, domain, granted_by, granted_ms";
constexpr const char* kTokenColumns =
    "public_id, lookup, user_id, name, role, created_ms, expires_ms, last_used_ms";

RoleGrantRecord ReadGrant(const Statement& s) {
  return {UserId::FromTrusted(s.Text(0)), static_cast<Role>(s.Int(1)), s.Text(2), s.Text(3),
          FromUnixMillis(s.Int(4))};
}

ApiTokenRecord ReadApiToken(const Statement& s) {
  ApiTokenRecord t;
  t.public_id = s.Text(0);
  t.lookup = s.Text(1);
  t.user_id = UserId::FromTrusted(s.Text(2));
  t.name = s.Text(3);
  t.role = static_cast<Role>(s.Int(4));
  t.created_at = FromUnixMillis(s.Int(5));
  t.expires_at = FromUnixMillis(s.Int(6));
  if (sqlite3_column_type(s.raw(), 7) != SQLITE_NULL) t.last_used_at = FromUnixMillis(s.Int(7));
  return t;
}

// Rows of `sql`, whose parameters `bind` sets, each read by `read`.
template <typename T, typename BindFn, typename ReadFn>
Result<std::vector<T>> ListRows(ReaderPool& pool, const std::string& sql, BindFn bind,
                                ReadFn read) {
  return pool.WithReader<std::vector<T>>([&](Connection& db) -> Result<std::vector<T>> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
    bind(s);
    std::vector<T> out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      out.push_back(read(s));
    }
    return out;
  });
}

}  // namespace

Result<std::vector<RoleGrantRecord>> SqliteAccessReader::ListRoleGrantsOfUser(
    const UserId& user_id) {
  return ListRows<RoleGrantRecord>(
      pool_,
      std::string("SELECT ") + kGrantColumns +
          " FROM role_grants WHERE user_id = ? ORDER BY role, domain",
      [&](Statement& s) { s.Bind(1, user_id.str()); }, ReadGrant);
}

Result<std::vector<RoleGrantRecord>> SqliteAccessReader::ListRoleGrants(int limit) {
  return ListRows<RoleGrantRecord>(
      pool_,
      std::string("SELECT ") + kGrantColumns +
          " FROM role_grants ORDER BY domain, user_id, role LIMIT ?",
      [&](Statement& s) { s.Bind(1, int64_t{limit}); }, ReadGrant);
}

Result<std::vector<UserRecord>> SqliteAccessReader::ListUsersOfDomain(
    const std::string& domain, const std::string* after_email, int limit) {
  // The address ends in "@<domain>": compared as a suffix, so "sub.example.org" is not
  // "example.org" and no LIKE pattern needs escaping.
  std::string sql = std::string("SELECT ") + kUserColumns +
                    " FROM users WHERE substr(email, -(length(?1) + 1)) = '@' || ?1 ";
  if (after_email) sql += "AND email > ?3 ";
  sql += "ORDER BY email LIMIT ?2";
  return ListRows<UserRecord>(
      pool_, sql,
      [&](Statement& s) {
        s.Bind(1, domain).Bind(2, int64_t{limit});
        if (after_email) s.Bind(3, *after_email);
      },
      ReadUser);
}

Result<ApiTokenRecord> SqliteAccessReader::GetApiToken(const std::string& lookup) {
  return pool_.ReadOne<ApiTokenRecord>(
      std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE lookup = ?",
      [&](Statement& s) { s.Bind(1, lookup); }, ReadApiToken, "API token");
}

Result<std::vector<ApiTokenRecord>> SqliteAccessReader::ListApiTokensOfUser(const UserId& user_id) {
  return ListRows<ApiTokenRecord>(
      pool_,
      std::string("SELECT ") + kTokenColumns +
          " FROM api_tokens WHERE user_id = ? ORDER BY created_ms DESC, public_id",
      [&](Statement& s) { s.Bind(1, user_id.str()); }, ReadApiToken);
}

Status SqliteAccessWriter::PutRoleGrant(const RoleGrantRecord& g) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO role_grants(") + kGrantColumns +
                                          ") VALUES(?,?,?,?,?)"));
  return s.Bind(1, g.user_id.str())
      .Bind(2, int64_t{static_cast<int>(g.role)})
      .Bind(3, g.domain)
      .Bind(4, g.granted_by)
      .Bind(5, ToUnixMillis(g.granted_at))
      .Run();
}

Status SqliteAccessWriter::DeleteRoleGrant(const UserId& user_id, Role role,
                                           const std::string& domain) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("DELETE FROM role_grants WHERE user_id = ? AND role = ? AND domain = ?"));
  SP_RETURN_IF_ERROR(
      s.Bind(1, user_id.str()).Bind(2, int64_t{static_cast<int>(role)}).Bind(3, domain).Run());
  return ExpectOneRow(db_, "role grant");
}

Status SqliteAccessWriter::CreateApiToken(const ApiTokenRecord& t) {
  // A new token has not been used: last_used_ms starts NULL.
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO api_tokens(public_id, lookup, user_id, "
                                          "name, role, created_ms, expires_ms) "
                                          "VALUES(?,?,?,?,?,?,?)"));
  return s.Bind(1, t.public_id)
      .Bind(2, t.lookup)
      .Bind(3, t.user_id.str())
      .Bind(4, t.name)
      .Bind(5, int64_t{static_cast<int>(t.role)})
      .Bind(6, ToUnixMillis(t.created_at))
      .Bind(7, ToUnixMillis(t.expires_at))
      .Run();
}

Status SqliteAccessWriter::DeleteApiToken(const UserId& user_id, const std::string& public_id) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("DELETE FROM api_tokens WHERE user_id = ? AND public_id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, user_id.str()).Bind(2, public_id).Run());
  return ExpectOneRow(db_, "API token");
}

Status SqliteAccessWriter::TouchApiToken(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE api_tokens SET last_used_ms = ? WHERE lookup = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "API token");
}

}  // namespace sealpost::store::sqlite
