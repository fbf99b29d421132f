#include "store/sqlite/internal/inline_blobs.h"

namespace sealpost::store::sqlite {

Result<Bytes> SqliteInlineBlobsReader::Get(const BlobId& id) {
  return pool_.ReadOne<Bytes>(
      "SELECT data FROM inline_blobs WHERE id = ?", [&](Statement& s) { s.Bind(1, id.str()); },
      [](Statement& s) -> Result<Bytes> { return s.Blob(0); }, "blob");
}

Result<bool> SqliteInlineBlobsReader::Contains(const BlobId& id) {
  return pool_.WithReader<bool>([&](Connection& db) -> Result<bool> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT 1 FROM inline_blobs WHERE id = ?"));
    s.Bind(1, id.str());
    return s.Step();
  });
}

Status SqliteInlineBlobsWriter::Put(const BlobId& id, ByteView data) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO inline_blobs(id, data) VALUES(?, ?)"));
  return s.Bind(1, id.str()).Bind(2, data).Run();
}

Result<bool> SqliteInlineBlobsWriter::Remove(const BlobId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM inline_blobs WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return db_.Changes() > 0;
}

}  // namespace sealpost::store::sqlite
