// The offline check of the whole audit log (docs/formats/log-entry.md, "What sealpost verify
// audit checks"): the legacy hash chain inside the legacy leaves and its old signed checkpoints,
// the legacy leaves against the chain rows still stored, the tree recomputed from every leaf
// against the stored tiles and the latest checkpoint's root, and that checkpoint's signature;
// then, when the log is intact, the store against the log (store_check.h): what the signed
// leaves say was created and not removed must still be stored.
//
// It cannot tell a history that was rewritten and re-signed with the log key from the real one:
// that takes a monitor holding an earlier checkpoint (consistency proofs, a later step).
//
// SECURITY: everything it reads from the store is untrusted (an attacker may have edited the
// database); bad leaves, tiles or notes are reported, never a crash. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/store_check.h"
#include "core/status.h"
#include "crypto/signature.h"
#include "store/store.h"

namespace sealpost::audit {

struct VerifyReport {
  bool ok = false;
  int64_t entries = 0;              // leaves in the log
  int64_t legacy_entries = 0;       // of which legacy chain entries
  int64_t checkpoints = 0;          // signed checkpoints of the legacy chain
  int64_t last_checkpoint_seq = 0;  // the legacy chain's last signed seq
  int64_t tree_size = 0;            // the size the latest log checkpoint signs
  int64_t pending = 0;              // events not sequenced yet (no checkpoint covers them)
  int64_t unmigrated = 0;           // legacy chain rows not in the log yet
  int64_t first_bad_index = -1;     // the first leaf that fails; -1 when none is named
  std::string origin;               // the latest checkpoint's origin
  std::string problem;              // human-readable reason when not ok
  // The store against the log (only when the log itself is intact): each row a signed leaf
  // names that is missing. Any makes the report not ok, with `problem` the first.
  std::vector<StoreFinding> store_findings;
  int64_t store_events_checked = 0;  // leaves CheckStoreAgainstLog read
};

// Re-checks the log against `key`. Returns an error only when the store cannot be read.
Result<VerifyReport> VerifyAuditLog(store::Store& store, const crypto::VerifyKey& key);

}  // namespace sealpost::audit
