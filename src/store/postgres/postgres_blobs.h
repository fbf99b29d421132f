// Blob bytes in PostgreSQL, so that every process sharing the database reaches every blob.
//
// A writer holds one transaction (on a connection of its own pool) from Create to Commit: the
// blob and its pieces become visible together at commit, and an aborted upload or a process
// killed mid-upload leaves nothing behind. Readers fetch one piece per round trip, so neither
// side ever holds more than one piece in memory.
#pragma once

#include <memory>
#include <string>

#include "blob/raw_blob_store.h"
#include "core/status.h"

namespace sealpost::store::postgres {

// Connects to `url` (applying migrations like OpenPostgresStore). `max_connections` bounds the
// uploads and piece reads in flight at once.
Result<std::unique_ptr<blob::RawBlobStore>> OpenPostgresBlobs(const std::string& url,
                                                              int max_connections = 8);

}  // namespace sealpost::store::postgres
