// store/migrate.h. It lives with the PostgreSQL backend because it maps libpqxx's errors as the
// backend does (internal/statements.h), which is private to store/postgres/.
#include "store/migrate.h"

#include <sqlite3.h>

#include <pqxx/pqxx>

#include <memory>

#include "store/postgres/internal/statements.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace sealpost::store {
namespace {

// Parents before children (foreign keys).
// One table per line: branches that add tables then touch only their own lines.
// clang-format off
constexpr const char* kTables[] = {
    "users",
    "sessions",
    "tokens",
    "messages",
    "mailbox",
    "attachments",
    "uploads",
    "counters",
    "audit_log",
    "audit_checkpoints",
    "platform_keys",
    "outbound_mail",
    "guest_addresses",
    "pickups",
    "log_pending",
    "log_entries",
    "log_tiles",
    "log_checkpoints",
    "member_keys",
    "contact_keys",
    "trust_anchors",
    "message_evidence",
    "receipts",
    "receipt_cursor",
    "tls_partners",
    "tls_only_rules",
    "smtp_policies",
    "secure_copies",
    "registered_recipients",
    "role_grants",
    "api_tokens",
    "retention_policies",
    "legal_holds",
    "retention_tombstones",
    "escrow_keys",
    "escrow_wraps",
    "app_passwords",
};
// clang-format on

struct Column {
  std::string name;
  std::string pg_type;  // information_schema data_type
};

std::vector<Column> PgColumns(pqxx::work& w, const std::string& table) {
  std::vector<Column> out;
  for (const auto& row : w.exec_params(
           "SELECT column_name, data_type FROM information_schema.columns "
           "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
           table)) {
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
  }
  return out;
}

// One SQLite value as a PostgreSQL literal of the target column's type.
std::string Literal(pqxx::work& w, sqlite3_stmt* s, int col, const std::string& pg_type) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL) return "NULL";
  if (pg_type == "bytea") {
    const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(s, col));
    const int n = sqlite3_column_bytes(s, col);
    return w.quote_raw(data, static_cast<size_t>(n)) + "::bytea";
  }
  if (pg_type == "boolean") return sqlite3_column_int64(s, col) != 0 ? "true" : "false";
  if (pg_type == "bigint" || pg_type == "integer") {
    return std::to_string(sqlite3_column_int64(s, col));
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  // What w.quote() does, spelled out: its inlined "'" + std::string&& trips g++ 12's
  // -Wrestrict false positive at -O3.
  std::string quoted = "'";
  quoted += w.esc(std::string(text, static_cast<size_t>(sqlite3_column_bytes(s, col))));
  quoted += "'";
  return quoted;
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

Result<std::unique_ptr<sqlite3, SqliteCloser>> OpenReadOnly(const std::string& path) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    return Unavailable("cannot open " + path);
  }
  return std::unique_ptr<sqlite3, SqliteCloser>(raw);
}

// The ids `sql` selects.
Result<std::vector<BlobId>> SelectBlobIds(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    return Internal(std::string("reading blob ids: ") + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, StmtCloser> stmt(st);
  std::vector<BlobId> ids;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ids.push_back(BlobId::FromTrusted(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))));
  }
  if (rc != SQLITE_DONE) return Internal(std::string("reading blob ids: ") + sqlite3_errmsg(db));
  return ids;
}

constexpr const char* kReferencedBlobIds =
    "SELECT blob_id FROM attachments UNION SELECT blob_id FROM uploads";

}  // namespace

Result<std::vector<BlobId>> ListSqliteBlobIds(const std::string& sqlite_path) {
  SP_ASSIGN_OR_RETURN(auto db, OpenReadOnly(sqlite_path));
  return SelectBlobIds(db.get(), kReferencedBlobIds);
}

Result<std::vector<BlobId>> ListSqliteFileBlobIds(const std::string& sqlite_path) {
  SP_ASSIGN_OR_RETURN(auto db, OpenReadOnly(sqlite_path));
  // A database this binary has not opened yet (not migrated) has no inline blobs.
  SP_ASSIGN_OR_RETURN(const auto has_rows,
                      SelectBlobIds(db.get(),
                                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                                    "name = 'inline_blobs'"));
  if (has_rows.empty()) return SelectBlobIds(db.get(), kReferencedBlobIds);
  return SelectBlobIds(db.get(), std::string("SELECT blob_id FROM (") + kReferencedBlobIds +
                                     ") WHERE blob_id NOT IN (SELECT id FROM inline_blobs)");
}

Result<MigrationReport> CopySqliteToPostgres(const std::string& sqlite_path,
                                             const std::string& postgres_url) {
  // Opening both stores brings both schemas up to this binary's version.
  { SP_ASSIGN_OR_RETURN(auto s, sqlite::OpenSqliteStore(sqlite_path)); }
  { SP_ASSIGN_OR_RETURN(auto p, postgres::OpenPostgresStore(postgres_url)); }

  SP_ASSIGN_OR_RETURN(auto src, OpenReadOnly(sqlite_path));
  // One read transaction: a consistent snapshot even if something still writes.
  sqlite3_exec(src.get(), "BEGIN", nullptr, nullptr, nullptr);

  MigrationReport report;
  try {
    pqxx::connection conn(postgres_url);
    pqxx::work w(conn);
    const int64_t users = w.exec("SELECT count(*) FROM users")[0][0].as<int64_t>();
    const int64_t audit = w.exec("SELECT count(*) FROM audit_log")[0][0].as<int64_t>() +
                          w.exec("SELECT count(*) FROM log_entries")[0][0].as<int64_t>() +
                          w.exec("SELECT count(*) FROM log_pending")[0][0].as<int64_t>();
    if (users != 0 || audit != 0) {
      return Conflict("the PostgreSQL database is not empty (it has users or audit entries)");
    }
    for (const char* table : kTables) {
      const std::vector<Column> columns = PgColumns(w, table);
      std::string names;
      for (const Column& c : columns) names += (names.empty() ? "" : ", ") + c.name;
      sqlite3_stmt* st = nullptr;
      const std::string select = "SELECT " + names + " FROM " + table;
      if (sqlite3_prepare_v2(src.get(), select.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        return Internal(std::string("reading ") + table + ": " + sqlite3_errmsg(src.get()));
      }
      std::unique_ptr<sqlite3_stmt, StmtCloser> stmt(st);
      int64_t n = 0;
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        std::string values;
        for (size_t i = 0; i < columns.size(); ++i) {
          if (i > 0) values += ", ";
          values += Literal(w, st, static_cast<int>(i), columns[i].pg_type);
        }
        w.exec(std::string("INSERT INTO ") + table + "(" + names + ") VALUES(" + values + ")");
        ++n;
      }
      if (rc != SQLITE_DONE) {
        return Internal(std::string("reading ") + table + ": " + sqlite3_errmsg(src.get()));
      }
      report.rows.emplace_back(table, n);
    }
    // Pending events keep their ids: the next one must come after them.
    w.exec(
        "SELECT setval(pg_get_serial_sequence('log_pending', 'id'), coalesce(max(id), 0) + 1, "
        "false) FROM log_pending");
    w.commit();
  } catch (...) {
    return postgres::StatusFromException(std::current_exception(), nullptr);
  }

  return report;
}

}  // namespace sealpost::store
