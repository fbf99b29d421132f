#include "cmd/open_store.h"

#include "blob/raw_blob_store.h"
#include "store/migrate.h"
#include "store/postgres/postgres_blobs.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_backup.h"
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

Result<std::unique_ptr<blob::BlobStore>> OpenBlobs(const std::string& store_url,
                                                   platform::Filesystem& fs,
                                                   const std::string& blob_dir,
                                                   int max_connections) {
  if (store_url.empty()) return blob::OpenLocalBlobStore(fs, blob_dir);
  SP_ASSIGN_OR_RETURN(auto raw, store::postgres::OpenPostgresBlobs(store_url, max_connections));
  return blob::OpenEncryptedBlobStore(std::move(raw));
}

Result<std::unique_ptr<blob::RawBlobStore>> OpenRawBlobs(const std::string& store_url,
                                                         platform::Filesystem& fs,
                                                         const std::string& blob_dir,
                                                         int max_connections) {
  if (store_url.empty()) return blob::OpenLocalRawBlobStore(fs, blob_dir);
  return store::postgres::OpenPostgresBlobs(store_url, max_connections);
}

Status SnapshotSqlite(const std::string& sqlite_path, const std::string& target) {
  return store::sqlite::BackupSqliteDatabase(sqlite_path, target);
}

Result<std::vector<BlobId>> SqliteBlobIds(const std::string& sqlite_path) {
  return store::ListSqliteBlobIds(sqlite_path);
}

}  // namespace sealpost::cmd
