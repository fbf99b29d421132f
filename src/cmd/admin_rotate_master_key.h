// `sealpost admin rotate-master-key`: a new platform master key, every wrap under the old one
// moved to it (app/master_key_rotation.h), the old key file then overwritten and replaced
// (docs/operations.md, "Rotating the master key").
//
// Crash-safe by the order of its steps, each durable before the next:
//   1. the new key is written to <master key>.next (0600, fsync, rename) — or, when that file
//      exists, an interrupted rotation is resumed with it;
//   2. every row is re-wrapped, in small transactions; a row already under the new key (its frame
//      names the key) is skipped, so a re-run continues where a killed one stopped;
//   3. every row is checked to open under the new key;
//   4. the old key file is overwritten in place with the new key and fsynced;
//   5. <master key>.next is renamed over it (the pending file disappears: the rotation is done).
// A kill anywhere leaves a state the next run finishes: before 4 the old file still holds the
// old key; from 4 on every row is under the new key and the old key is no longer needed.
// `sealpost serve` refuses to start while <master key>.next exists.
//
// The server must be stopped: the command takes the data directory's lock exclusively
// (cmd/data_dir_lock.h). A key given in SEALPOST_MASTER_KEY is refused (the command cannot
// replace it).
#pragma once

#include "cmd/config.h"

namespace sealpost::cmd {

// The pending key file of a rotation beside `master_key_path`.
std::string PendingMasterKeyPath(const std::string& master_key_path);

// Exit codes: 0 rotated (or finished an interrupted rotation); 2 refused or failed, with the
// reason on stderr (re-running finishes a failed rotation once the cause is fixed).
//
// Test hook: SEALPOST_TEST_ROTATION_CRASH = "rows:N" ends the process abruptly (_exit) after N
// rows are re-wrapped, one per transaction; "switch" ends it after step 4.
int AdminRotateMasterKey(const Config& config);

}  // namespace sealpost::cmd
