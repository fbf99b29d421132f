// The key-rotation domain (store/key_rotation_store.h: master-key wraps) on PostgreSQL. Its
// statements are sent with exec_params (not the shared prepared catalogue): an offline command
// runs them a few times per row.
#pragma once

#include "store/key_rotation_store.h"
#include "store/postgres/internal/reader.h"
#include "store/postgres/internal/txn.h"

namespace sealpost::store::postgres {

class PgKeyRotationReader final : public KeyRotationReader {
 public:
  explicit PgKeyRotationReader(Reader& reader) : reader_(reader) {}

  Result<std::vector<MasterWrappedRow>> ListMasterWrapped(MasterWrappedKind kind,
                                                          const std::string& after,
                                                          size_t limit) override;

 private:
  Reader& reader_;
};

// On the batch's transaction (PgTxn: the first error sticks).
class PgKeyRotationWriter final : public KeyRotationWriter {
 public:
  explicit PgKeyRotationWriter(PgTxn& txn) : txn_(txn), tx_(txn.tx()) {}

  Status ReplaceMasterWrapped(MasterWrappedKind kind, const std::string& id, ByteView expected,
                              ByteView replacement) override;

 private:
  PgTxn& txn_;
  pqxx::transaction_base& tx_;
};

}  // namespace sealpost::store::postgres
