// The SQLite schema and its migrations, applied in order; PRAGMA user_version records progress.
#pragma once

#include "core/status.h"
#include "store/sqlite/internal/connection.h"

namespace sealpost::store::sqlite {

Status Migrate(Connection& db);

}  // namespace sealpost::store::sqlite
