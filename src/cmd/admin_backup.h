// `sealpost admin backup DIR` and `sealpost admin restore DIR --data-dir NEW`
// (docs/operations.md, "Backup and restore").
//
// Backup runs beside a live `sealpost serve`. With SQLite it copies, in this order: the database
// (one consistent snapshot, store/sqlite/sqlite_backup.h, which holds the small blobs kept as
// rows), then every blob file that snapshot refers to (blobs are written and fsynced before the row
// that names them commits, and never change afterwards, so each one the snapshot names is already
// complete on disk), then the other files
// of the data directory (master key, audit and log public keys, TLS key and certificate), each
// 0600. Last it writes the manifest (cmd/backup_manifest.h). Everything goes into a staging
// directory beside DIR that is renamed to DIR at the end: a backup that failed or was killed
// never looks complete. With PostgreSQL, records and blobs are the database's: it copies the
// files and prints how to run pg_dump.
//
// Restore checks the whole backup against its manifest before it writes anything, then copies
// it into NEW the same way (staging, fsync, rename); the result is a data directory that
// `sealpost serve --data-dir NEW` starts from.
#pragma once

#include <string>

#include "cmd/config.h"

namespace sealpost::cmd {

// Exit codes: 0 done; 2 refused or failed, with the reason on stderr and no DIR left behind.
// DIR must not exist or be an empty directory.
int AdminBackup(const Config& config, const std::string& target_dir);

// Exit codes as above; NEW must not exist or be an empty directory.
int AdminRestore(const std::string& backup_dir, const std::string& new_data_dir);

}  // namespace sealpost::cmd
