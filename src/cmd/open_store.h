// Opens the store the configuration names: SQLite in the data directory by default, PostgreSQL
// when [store] url is a postgresql:// URL. Shared by `serve` and the offline commands.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace sealpost::cmd {

// `store_url` empty: SQLite at `sqlite_path`; otherwise PostgreSQL with a pool of
// `max_connections`. Never puts the URL (which may hold a password) into the returned error.
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& store_url,
                                                const std::string& sqlite_path,
                                                int max_connections);

}  // namespace sealpost::cmd
