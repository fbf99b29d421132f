// `sealpost admin migrate`: copies an SQLite installation's database into an empty PostgreSQL
// database, row for row (audit entries keep their seq and hashes, so the chain and its signed
// checkpoints still verify). Blob bytes are copied separately by the caller (cmd/), from the
// ids this returns, whether they are files or rows (store/sqlite/sqlite_blobs.h). Implemented in
// store/postgres/copy_from_sqlite.cpp, beside the PostgreSQL backend whose internals it uses.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/status.h"

namespace sealpost::store {

struct MigrationReport {
  std::vector<std::pair<std::string, int64_t>> rows;  // table, rows copied (in copy order)
};

// The blobs an SQLite installation's records refer to (attachments and pending uploads).
Result<std::vector<BlobId>> ListSqliteBlobIds(const std::string& sqlite_path);
// Of those, the ones kept as files in the blob directory: not the small blobs that are rows of
// the database itself (store/sqlite/sqlite_blobs.h), which a copy of the database carries.
Result<std::vector<BlobId>> ListSqliteFileBlobIds(const std::string& sqlite_path);

// Opens (and so migrates) both schemas, refuses a target that already holds users or audit
// entries (Conflict), then copies every table in one PostgreSQL transaction: all or nothing.
Result<MigrationReport> CopySqliteToPostgres(const std::string& sqlite_path,
                                             const std::string& postgres_url);

}  // namespace sealpost::store
