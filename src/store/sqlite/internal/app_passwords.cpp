#include "store/sqlite/internal/app_passwords.h"

#include <string>

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kSelect =
    "SELECT id, lookup, user_id, name, wrapped_umk, created_ms, last_used_ms, revoked_ms "
    "FROM app_passwords";

AppPasswordRecord ReadAppPassword(const Statement& s) {
  AppPasswordRecord p;
  p.id = s.Text(0);
  p.lookup = s.Text(1);
  p.user_id = UserId::FromTrusted(s.Text(2));
  p.name = s.Text(3);
  p.wrapped_umk = s.Blob(4);
  p.created_at = FromUnixMillis(s.Int(5));
  if (sqlite3_column_type(s.raw(), 6) != SQLITE_NULL) p.last_used_at = FromUnixMillis(s.Int(6));
  if (sqlite3_column_type(s.raw(), 7) != SQLITE_NULL) p.revoked_at = FromUnixMillis(s.Int(7));
  return p;
}

}  // namespace

Result<AppPasswordRecord> SqliteAppPasswordReader::GetAppPasswordByLookup(
    const std::string& lookup) {
  return pool_.ReadOne<AppPasswordRecord>(
      std::string(kSelect) + " WHERE lookup = ?", [&](Statement& s) { s.Bind(1, lookup); },
      ReadAppPassword, "app password");
}

Result<std::vector<AppPasswordRecord>> SqliteAppPasswordReader::ListAppPasswordsOfUser(
    const UserId& user_id) {
  using Out = std::vector<AppPasswordRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string(kSelect) +
                                           " WHERE user_id = ? ORDER BY created_ms DESC, id"));
    s.Bind(1, user_id.str());
    Out out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return out;
      out.push_back(ReadAppPassword(s));
    }
  });
}

Status SqliteAppPasswordWriter::CreateAppPassword(const AppPasswordRecord& p) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO app_passwords(id, lookup, user_id, name, "
                                          "wrapped_umk, created_ms) VALUES(?,?,?,?,?,?)"));
  return s.Bind(1, p.id)
      .Bind(2, p.lookup)
      .Bind(3, p.user_id.str())
      .Bind(4, p.name)
      .Bind(5, ByteView(p.wrapped_umk))
      .Bind(6, ToUnixMillis(p.created_at))
      .Run();
}

Result<int64_t> SqliteAppPasswordWriter::CountLiveAppPasswordsOfUser(const UserId& user_id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT count(*) FROM app_passwords "
                                          "WHERE user_id = ? AND revoked_ms IS NULL"));
  s.Bind(1, user_id.str());
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Internal("count returned no row");
  return s.Int(0);
}

Status SqliteAppPasswordWriter::RevokeAppPassword(const UserId& user_id, const std::string& id,
                                                  TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE app_passwords SET revoked_ms = ?, "
                                          "wrapped_umk = X'' WHERE user_id = ? AND id = ? "
                                          "AND revoked_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, user_id.str()).Bind(3, id).Run());
  return ExpectOneRow(db_, "app password");
}

Result<int64_t> SqliteAppPasswordWriter::RevokeAppPasswordsOfUser(const UserId& user_id,
                                                                  TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE app_passwords SET revoked_ms = ?, "
                                          "wrapped_umk = X'' WHERE user_id = ? "
                                          "AND revoked_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, user_id.str()).Run());
  return db_.Changes();
}

Status SqliteAppPasswordWriter::PruneRevokedAppPasswords(const UserId& user_id, int keep) {
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("DELETE FROM app_passwords WHERE user_id = ? AND revoked_ms IS NOT NULL "
                          "AND id NOT IN (SELECT id FROM app_passwords WHERE user_id = ? "
                          "AND revoked_ms IS NOT NULL ORDER BY revoked_ms DESC, id LIMIT ?)"));
  return s.Bind(1, user_id.str()).Bind(2, user_id.str()).Bind(3, int64_t{keep}).Run();
}

Status SqliteAppPasswordWriter::TouchAppPassword(const std::string& lookup, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE app_passwords SET last_used_ms = ? "
                                          "WHERE lookup = ? AND revoked_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, lookup).Run());
  return ExpectOneRow(db_, "app password");
}

}  // namespace sealpost::store::sqlite
