#include "cmd/admin_migrate.h"

#include <iostream>

#include <fmt/format.h>

#include "blob/raw_blob_store.h"
#include "platform/filesystem.h"
#include "store/migrate.h"
#include "store/postgres/postgres_blobs.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_blobs.h"
#include "store/sqlite/sqlite_store.h"

namespace sealpost::cmd {
namespace {

int Fail(const std::string& what) {
  std::cerr << "sealpost admin migrate: " << what << "\n";
  return 2;
}

// Copies one blob's bytes unchanged (they are ciphertext; no key is needed), piece by piece.
Status CopyBlob(blob::RawBlobStore& from, blob::RawBlobStore& to, const BlobId& id) {
  if (to.Open(id).ok()) return Status::Ok();  // copied by an earlier, interrupted run
  SP_ASSIGN_OR_RETURN(auto reader, from.Open(id));
  SP_ASSIGN_OR_RETURN(auto writer, to.Create(id));
  Bytes buffer(4 + blob::kChunkBytes + 17);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, reader->Read(buffer));
    if (n == 0) break;
    SP_RETURN_IF_ERROR(writer->Append(ByteView(buffer.data(), n)));
  }
  return writer->Commit();
}

}  // namespace

int AdminMigrate(const std::string& data_dir, const std::string& to_url) {
  auto& fs = platform::DefaultFilesystem();
  const std::string db = data_dir + "/sealpost.db";
  if (!fs.Exists(db)) return Fail("no SQLite database at " + db);
  if (!store::postgres::IsPostgresUrl(to_url)) return Fail("--to must be a postgresql:// URL");

  // Blobs first: the records are copied in one transaction afterwards, so a failure anywhere
  // leaves a target that a second run completes (blobs already there are skipped).
  // Small blobs are rows of the SQLite database, the others files (store/sqlite/sqlite_blobs.h):
  // both become rows of PostgreSQL's blob tables.
  auto ids = store::ListSqliteBlobIds(db);
  if (!ids.ok()) return Fail(ids.status().ToString());
  size_t copied = 0, missing = 0;
  {
    auto source = store::sqlite::OpenSqliteStore(db);
    if (!source.ok()) return Fail("SQLite: " + source.status().ToString());
    auto files = blob::OpenLocalRawBlobStore(fs, data_dir + "/blobs");
    if (!files.ok()) return Fail("blob directory: " + files.status().ToString());
    auto from = store::sqlite::OpenSqliteBlobs(**source, std::move(*files));
    if (!from.ok()) return Fail("SQLite blobs: " + from.status().ToString());
    auto to = store::postgres::OpenPostgresBlobs(to_url, 1);
    if (!to.ok()) return Fail("PostgreSQL: " + to.status().ToString());
    for (const BlobId& id : *ids) {
      Status s = CopyBlob(**from, **to, id);
      if (s.code() == ErrorCode::kNotFound) {
        ++missing;  // an upload whose bytes were already removed; the record is copied as is
        std::cerr << "warning: blob " << id.str() << " is referenced but not stored\n";
        continue;
      }
      if (!s.ok()) return Fail("blob " + id.str() + ": " + s.ToString());
      ++copied;
    }
  }

  auto report = store::CopySqliteToPostgres(db, to_url);
  if (!report.ok()) return Fail(report.status().ToString());
  for (const auto& [table, rows] : report->rows) {
    std::cout << fmt::format("{:<18} {} rows\n", table, rows);
  }
  std::cout << fmt::format("{:<18} {} copied, {} missing\n", "blobs", copied, missing);
  std::cout << "Done. Check it with `sealpost verify audit --data-dir " << data_dir
            << " --store-url <url>`, then set [store] url in the configuration.\n";
  return 0;
}

}  // namespace sealpost::cmd
