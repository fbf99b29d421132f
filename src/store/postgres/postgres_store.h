// The scale-out store: one PostgreSQL database shared by any number of `sealpost serve` processes.
//
// Each Store::Write runs in its own READ COMMITTED transaction on a pooled connection; PostgreSQL
// groups concurrent commits itself. Every statement is prepared once per connection. What must
// hold across processes is made so by the statement itself (single-statement upserts and
// conditional UPDATE/DELETE, which READ COMMITTED re-checks against the newest row version) or by
// an explicit lock (the audit chain head: a transaction-scoped advisory lock). Serialization
// failures and deadlocks are retried by re-running the whole callback. See docs/postgres.md.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace sealpost::store::postgres {

struct PostgresOptions {
  int max_connections = 8;  // pool size per process
  int max_attempts = 5;     // for a Write hitting serialization failures or deadlocks
};

// `url` is a libpq connection URI ("postgresql://user@host:port/db?…") or key=value string.
// Connects, applies migrations (serialised across processes), and returns the store.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresOptions& options = {});

// True when `url` names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(const std::string& url);

}  // namespace sealpost::store::postgres
