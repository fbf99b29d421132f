// The embedded store: one SQLite file in WAL mode with synchronous=FULL.
//
// Writes go through a single writer thread that commits the callbacks queued since its last
// commit in one transaction (group commit), each inside its own SAVEPOINT so that one failing
// callback does not undo the others. Reads use a small pool of read-only connections.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace sealpost::store::sqlite {

struct SqliteOptions {
  int read_connections = 4;
  int max_batch = 128;  // callbacks per group commit
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options = {});

}  // namespace sealpost::store::sqlite
