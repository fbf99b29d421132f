// Thin RAII layer over one sqlite3 connection with a cache of prepared statements.
// Not thread-safe: one connection is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::store::sqlite {

class Statement final {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  Statement& Bind(int index, int64_t v);
  Statement& Bind(int index, std::string_view v);
  Statement& Bind(int index, ByteView v);
  Statement& BindNull(int index);

  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  Status Run();  // Steps to completion, expecting no rows.

  int64_t Int(int col) const;
  std::string Text(int col) const;
  Bytes Blob(int col) const;

  sqlite3_stmt* raw() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

class Connection final {
 public:
  // A writable open creates the database file readable by its owner only (0600, whatever the
  // umask), and narrows an existing one and its -wal/-shm files to 0600.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
  ~Connection();

  Status Exec(const std::string& sql);
  // A reset statement from the cache; valid until the next Prepare of the same SQL.
  Result<Statement> Prepare(const std::string& sql);
  // Resets every cached statement, ending any read transaction they hold.
  void ResetAll();
  int64_t Changes() const { return sqlite3_changes64(db_); }
  // Whether a transaction is open (SQLite ends one by itself after some errors: a full disk, an
  // I/O error).
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  Status Error(const char* what) const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// After an UPDATE or DELETE meant to hit a row: NotFound("<what> not found") when it hit none.
inline Status ExpectOneRow(const Connection& db, const char* what) {
  if (db.Changes() == 0) return NotFound(std::string(what) + " not found");
  return Status::Ok();
}

}  // namespace sealpost::store::sqlite
