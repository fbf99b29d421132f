#include "store/postgres/internal/key_rotation.h"

#include <fmt/format.h>

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {
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

Result<std::vector<MasterWrappedRow>> PgKeyRotationReader::ListMasterWrapped(
    MasterWrappedKind kind, const std::string& after, size_t limit) {
  const Place p = PlaceOf(kind);
  // COLLATE "C": bytewise order, the same as SQLite's, whatever the database's locale.
  const std::string sql = fmt::format(
      "SELECT {1}, {2} FROM {0} WHERE {1} COLLATE \"C\" > $1 AND length({2}) > 0 "
      "ORDER BY {1} COLLATE \"C\" LIMIT $2",
      p.table, p.id, p.column);
  return reader_.Read<std::vector<MasterWrappedRow>>([&](pqxx::transaction_base& tx) {
    const auto r = tx.exec_params(sql, after, static_cast<int64_t>(limit));
    std::vector<MasterWrappedRow> rows;
    rows.reserve(r.size());
    for (const auto& row : r) {
      rows.push_back(MasterWrappedRow{row[0].as<std::string>(), ReadBytes(row[1])});
    }
    return rows;
  });
}

Status PgKeyRotationWriter::ReplaceMasterWrapped(MasterWrappedKind kind, const std::string& id,
                                                 ByteView expected, ByteView replacement) {
  const Place p = PlaceOf(kind);
  return txn_.GuardStatus([&]() -> Status {
    const auto updated = tx_.exec_params(
        fmt::format("UPDATE {0} SET {2} = $1 WHERE {1} = $2 AND {2} = $3", p.table, p.id, p.column),
        Bin(replacement), id, Bin(expected));
    if (updated.affected_rows() == 1) return Status::Ok();
    const auto exists =
        tx_.exec_params(fmt::format("SELECT 1 FROM {0} WHERE {1} = $1", p.table, p.id), id);
    if (exists.empty()) return NotFound("master-wrapped row not found");
    return Conflict("master-wrapped row changed since it was read");
  });
}

}  // namespace sealpost::store::postgres
