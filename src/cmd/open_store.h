// Opens the store the configuration names: SQLite in the data directory by default, PostgreSQL
// when [store] url is a postgresql:// URL. Shared by `serve` and the offline commands.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "blob/blob_store.h"
#include "blob/raw_blob_store.h"
#include "core/ids.h"
#include "core/status.h"
#include "platform/filesystem.h"
#include "store/store.h"

namespace sealpost::cmd {

// `store_url` empty: SQLite at `sqlite_path`; otherwise PostgreSQL with a pool of
// `max_connections`. Never puts the URL (which may hold a password) into the returned error.
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& store_url,
                                                const std::string& sqlite_path,
                                                int max_connections);

// The blob store beside `store` (which must outlive it): with SQLite, small blobs as rows of its
// database and the others as files under `blob_dir` (store/sqlite/sqlite_blobs.h); rows of the same
// PostgreSQL database otherwise (so that every process reaches every blob).
Result<std::unique_ptr<blob::BlobStore>> OpenBlobs(store::Store& store,
                                                   const std::string& store_url,
                                                   platform::Filesystem& fs,
                                                   const std::string& blob_dir,
                                                   int max_connections);

// Up to how many bytes a blob may be written in the store transaction that names it
// (app::Services::blob_rows_up_to): the rows threshold of the SQLite blobs, whose reader finds
// those rows; 0 with PostgreSQL, whose blobs are written by a blob store of their own.
size_t BlobRowsUpTo(const std::string& store_url);

// The same blobs as their stored (encrypted) bytes, for commands that copy them unopened
// (`escrow export`, `admin migrate`).
Result<std::unique_ptr<blob::RawBlobStore>> OpenRawBlobs(store::Store& store,
                                                         const std::string& store_url,
                                                         platform::Filesystem& fs,
                                                         const std::string& blob_dir,
                                                         int max_connections);

// For `admin backup` with SQLite (cmd/admin_backup.h): a consistent copy of the live database at
// `sqlite_path` into the new file `target` (store/sqlite/sqlite_backup.h), and the blobs a
// database file refers to that are files in the blob directory, not rows (store/migrate.h).
Status SnapshotSqlite(const std::string& sqlite_path, const std::string& target);
Result<std::vector<BlobId>> SqliteFileBlobIds(const std::string& sqlite_path);

}  // namespace sealpost::cmd
