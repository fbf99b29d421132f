#include "store/sqlite/internal/key_rotation.h"

#include <fmt/format.h>

namespace sealpost::store::sqlite {
namespace {

struct Place {
  const char* table;
  const char* id;
  const char* column;
};

// Fixed names only: nothing from a caller reaches the SQL text.
Place PlaceOf(MasterWrappedKind kind) {
  switch (kind) {
    case MasterWrappedKind::kTotpSecret:
      return {"users", "id", "totp_secret"};
    case MasterWrappedKind::kOutboundMail:
      return {"outbound_mail", "id", "sealed_mail"};
    case MasterWrappedKind::kSecureCopy:
      return {"secure_copies", "id", "sealed_copy"};
    case MasterWrappedKind::kPlatformKey:
      break;
  }
  return {"platform_keys", "name", "wrapped_secret"};
}

}  // namespace

Result<std::vector<MasterWrappedRow>> SqliteKeyRotationReader::ListMasterWrapped(
    MasterWrappedKind kind, const std::string& after, size_t limit) {
  const Place p = PlaceOf(kind);
  const std::string sql =
      fmt::format("SELECT {1}, {2} FROM {0} WHERE {1} > ? AND length({2}) > 0 ORDER BY {1} LIMIT ?",
                  p.table, p.id, p.column);
  return pool_.WithReader<std::vector<MasterWrappedRow>>(
      [&](Connection& db) -> Result<std::vector<MasterWrappedRow>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
        s.Bind(1, after).Bind(2, static_cast<int64_t>(limit));
        std::vector<MasterWrappedRow> rows;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          rows.push_back(MasterWrappedRow{s.Text(0), s.Blob(1)});
        }
        return rows;
      });
}

Status SqliteKeyRotationWriter::ReplaceMasterWrapped(MasterWrappedKind kind, const std::string& id,
                                                     ByteView expected, ByteView replacement) {
  const Place p = PlaceOf(kind);
  SP_ASSIGN_OR_RETURN(auto update,
                      db_.Prepare(fmt::format("UPDATE {0} SET {2} = ? WHERE {1} = ? AND {2} = ?",
                                              p.table, p.id, p.column)));
  SP_RETURN_IF_ERROR(update.Bind(1, replacement).Bind(2, id).Bind(3, expected).Run());
  if (db_.Changes() == 1) return Status::Ok();
  SP_ASSIGN_OR_RETURN(auto exists,
                      db_.Prepare(fmt::format("SELECT 1 FROM {0} WHERE {1} = ?", p.table, p.id)));
  SP_ASSIGN_OR_RETURN(const bool row, exists.Bind(1, id).Step());
  if (!row) return NotFound("master-wrapped row not found");
  SP_RETURN_IF_ERROR(exists.Run());
  return Conflict("master-wrapped row changed since it was read");
}

}  // namespace sealpost::store::sqlite
