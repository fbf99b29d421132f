// Blobs kept as rows of the SQLite database (table inline_blobs): what store/sqlite/sqlite_blobs.h
// builds its small blobs on. Not a domain of store/store.h: only the SQLite blob store uses it,
// and PostgreSQL keeps every blob as rows of its own (store/postgres/postgres_blobs.h).
#pragma once

#include "core/ids.h"
#include "core/status.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"
#include "store/store.h"

namespace sealpost::store::sqlite {

class SqliteInlineBlobsReader final {
 public:
  explicit SqliteInlineBlobsReader(ReaderPool& pool) : pool_(pool) {}

  // The blob's bytes; NotFound("blob not found") when no row has this id.
  Result<Bytes> Get(const BlobId& id);
  Result<bool> Contains(const BlobId& id);

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteInlineBlobsWriter final : public BlobRowsWriter {
 public:
  explicit SqliteInlineBlobsWriter(Connection& db) : db_(db) {}

  Status Put(const BlobId& id, ByteView data) override;
  // Whether a row went.
  Result<bool> Remove(const BlobId& id);

 private:
  Connection& db_;
};

// The inline blobs of `store` when it is an SQLite store (OpenSqliteStore), else nullptr.
SqliteInlineBlobsReader* InlineBlobsOf(Store& store);
// The same within one of its write transactions, else nullptr. Both in sqlite_store.cpp.
SqliteInlineBlobsWriter* InlineBlobsOf(WriteTxn& tx);

}  // namespace sealpost::store::sqlite
