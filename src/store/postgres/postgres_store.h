// The scale-out store: one PostgreSQL database shared by any number of `sealpost serve` processes.
//
// Writes go through one writer thread per process that commits the callbacks queued since its last
// commit in one READ COMMITTED transaction (group commit, as the SQLite store does), each callback
// in its own savepoint. Every batch first takes a database-wide advisory lock, so batches of all
// processes sharing the database run one at a time: the audit chain never forks, and counters,
// single-use codes and tokens are decided by conditional statements READ COMMITTED re-checks
// against the newest row version. Serialization failures and deadlocks re-run the batch. Every
// statement is prepared once per connection. See docs/postgres.md.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace sealpost::store::postgres {

struct PostgresOptions {
  int max_connections = 8;  // pool size per process (reads, blobs, and the writer's one)
  int max_attempts = 5;     // for a batch hitting serialization failures or deadlocks
  int max_batch = 128;      // callbacks per group commit
};

// `url` is a libpq connection URI ("postgresql://user@host:port/db?…") or key=value string.
// Connects, applies migrations (serialised across processes), and returns the store.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresOptions& options = {});

// True when `url` names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(const std::string& url);

}  // namespace sealpost::store::postgres
