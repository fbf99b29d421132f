#include "store/sqlite/internal/connection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sealpost::store::sqlite {
namespace {

// SQLite creates a database file 0644 (less the umask) and gives its -wal, -shm and -journal
// files the mode of the database. Creating the (empty, hence valid) database file 0600 first, or
// narrowing an existing one, makes all of them readable by the owner only. A -wal or -shm left
// by an older version with a wider mode is narrowed too. Paths that are not files (":memory:",
// URIs) are left to SQLite.
Status RestrictToOwner(const std::string& path) {
  if (path.empty() || path[0] == ':' || path.rfind("file:", 0) == 0) return Status::Ok();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    const std::string message = "sqlite open " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return Unavailable(message);
  }
  ::close(fd);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string companion = path + suffix;
    if (::chmod(companion.c_str(), 0600) != 0 && errno != ENOENT) {
      return Unavailable("sqlite open " + companion + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

Statement& Statement::Bind(int index, int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view v) {
  sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::Bind(int index, ByteView v) {
  // A zero-length blob must still be a blob, not NULL.
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, v.empty() ? &kEmpty : v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  std::string message = std::string("sqlite: ") + sqlite3_errmsg(db);
  if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT) return Conflict(message);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Unavailable(message);
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return Corruption(message);
  if (rc == SQLITE_FULL) return StorageFull(message);
  return Internal(message);
}

Status Statement::Run() {
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::Text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : "";
}

Bytes Statement::Blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, col)) : Bytes{};
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  if (!read_only) SP_RETURN_IF_ERROR(RestrictToOwner(path));
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = std::string("sqlite open ") + path + ": " + sqlite3_errstr(rc);
    sqlite3_close(db);
    return Unavailable(std::move(message));
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 0);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status Connection::Error(const char* what) const {
  return Internal(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_));
}

Status Connection::Exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = std::string("sqlite: ") + (err ? err : "error");
    sqlite3_free(err);
    // The same codes as Step (a COMMIT that finds the disk full is StorageFull too).
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Unavailable(std::move(message));
    if (primary == SQLITE_FULL) return StorageFull(std::move(message));
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
      return Corruption(std::move(message));
    }
    return Internal(std::move(message));
  }
  return Status::Ok();
}

void Connection::ResetAll() {
  for (auto& [sql, stmt] : cache_) sqlite3_reset(stmt);
}

Result<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return Statement(it->second);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return Error("prepare");
  }
  cache_.emplace(sql, stmt);
  return Statement(stmt);
}

}  // namespace sealpost::store::sqlite
