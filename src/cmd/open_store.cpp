#include "cmd/open_store.h"

#include "blob/raw_blob_store.h"
#include "store/migrate.h"
#include "store/postgres/postgres_blobs.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_backup.h"
#include "store/sqlite/sqlite_blobs.h"
#include "store/sqlite/sqlite_store.h"

namespace sealpost::cmd {

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& store_url,
                                                const std::string& sqlite_path,
                                                int max_connections) {
  if (store_url.empty()) return store::sqlite::OpenSqliteStore(sqlite_path);
  if (!store::postgres::IsPostgresUrl(store_url)) {
    return InvalidArgument("store url must start with postgresql://");
  }
  store::postgres::PostgresOptions options;
  options.max_connections = max_connections;
  return store::postgres::OpenPostgresStore(store_url, options);
}

Result<std::unique_ptr<blob::BlobStore>> OpenBlobs(store::Store& store,
                                                   const std::string& store_url,
                                                   platform::Filesystem& fs,
                                                   const std::string& blob_dir,
                                                   int max_connections) {
  SP_ASSIGN_OR_RETURN(auto raw, OpenRawBlobs(store, store_url, fs, blob_dir, max_connections));
  return blob::OpenEncryptedBlobStore(std::move(raw));
}

Result<std::unique_ptr<blob::RawBlobStore>> OpenRawBlobs(store::Store& store,
                                                         const std::string& store_url,
                                                         platform::Filesystem& fs,
                                                         const std::string& blob_dir,
                                                         int max_connections) {
  if (store_url.empty()) {
    SP_ASSIGN_OR_RETURN(auto files, blob::OpenLocalRawBlobStore(fs, blob_dir));
    return store::sqlite::OpenSqliteBlobs(store, std::move(files));
  }
  return store::postgres::OpenPostgresBlobs(store_url, max_connections);
}

size_t BlobRowsUpTo(const std::string& store_url) {
  return store_url.empty() ? store::sqlite::kInlineBlobBytes : 0;
}

Status SnapshotSqlite(const std::string& sqlite_path, const std::string& target) {
  return store::sqlite::BackupSqliteDatabase(sqlite_path, target);
}

Result<std::vector<BlobId>> SqliteFileBlobIds(const std::string& sqlite_path) {
  return store::ListSqliteFileBlobIds(sqlite_path);
}

}  // namespace sealpost::cmd
