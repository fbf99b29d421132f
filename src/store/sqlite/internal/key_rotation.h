// The key-rotation domain (store/key_rotation_store.h: master-key wraps) on SQLite.
#pragma once

#include "store/key_rotation_store.h"
#include "store/sqlite/internal/connection.h"
#include "store/sqlite/internal/reader_pool.h"

namespace sealpost::store::sqlite {

class SqliteKeyRotationReader final : public KeyRotationReader {
 public:
  explicit SqliteKeyRotationReader(ReaderPool& pool) : pool_(pool) {}

  Result<std::vector<MasterWrappedRow>> ListMasterWrapped(MasterWrappedKind kind,
                                                          const std::string& after,
                                                          size_t limit) override;

 private:
  ReaderPool& pool_;
};

// Over the writer connection; used only by the writer thread inside a transaction.
class SqliteKeyRotationWriter final : public KeyRotationWriter {
 public:
  explicit SqliteKeyRotationWriter(Connection& db) : db_(db) {}

  Status ReplaceMasterWrapped(MasterWrappedKind kind, const std::string& id, ByteView expected,
                              ByteView replacement) override;

 private:
  Connection& db_;
};

}  // namespace sealpost::store::sqlite
