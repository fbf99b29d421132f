// A consistent copy of a live SQLite database, for `sealpost admin backup` (cmd/admin_backup.h).
//
// Uses SQLite's online backup API (sqlite3_backup_*) in one step, inside one read transaction of
// its own connection: the copy is the database exactly as of one commit, while `sealpost serve`
// goes on writing (the database is in WAL mode, where a reader does not block the writer). Works
// across processes. Thread-safe (each call has its own connections).
#pragma once

#include <string>

#include "core/status.h"

namespace sealpost::store::sqlite {

// Copies the database at `source` into the new file `target` (created 0600; Conflict when it
// exists). The copy is committed with fsync before this returns. Unavailable when the source
// cannot be read (not a database, locked for longer than the retries allow); on any error the
// target file is removed.
Status BackupSqliteDatabase(const std::string& source, const std::string& target);

}  // namespace sealpost::store::sqlite
