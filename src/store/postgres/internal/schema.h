// Schema migrations for the PostgreSQL store, recorded in the table schema_version.
#pragma once

#include <pqxx/pqxx>

#include "core/status.h"

namespace sealpost::store::postgres {

// Applies the migrations this binary knows and the database lacks. Serialised across processes
// by an advisory lock; each migration commits with its version number. Conflict when the database
// is newer than this binary.
Status Migrate(pqxx::connection& conn);

}  // namespace sealpost::store::postgres
