// Re-wrapping every secret held under the platform master key, for
// `sealpost admin rotate-master-key` (cmd/admin_rotate_master_key.h, which owns the key files and
// the order of the steps; docs/operations.md, "Rotating the master key").
//
// What is wrapped under the master key (store/key_rotation_store.h): members' TOTP seeds, queued
// outbound mail, and the platform keys (audit signing, guest seal, the PKI's root, issuing CA,
// evidence signer and TSA keys). Member message keys and pickups are not: they hang off
// passwords, recovery codes, MUCs and links (zero access), so a rotation does not touch them.
//
// Resumable: each row is re-wrapped at most once (a row whose frame already names the new key
// is skipped), in batches that commit on their own, so a run killed anywhere is finished by
// running again. Meant for a stopped server: a row rewritten by someone else meanwhile is a
// Conflict. Not thread-safe with itself.
#pragma once

#include <cstddef>
#include <functional>

#include "core/status.h"
#include "core/time.h"
#include "keys/master_key.h"
#include "store/store.h"

namespace sealpost::app {

struct RewrapOptions {
  size_t batch_rows = 100;  // rows per transaction
  // Called after each committed batch with the rows re-wrapped so far (a test stops here).
  std::function<void(size_t rewrapped)> after_batch;
};

struct RewrapReport {
  size_t rewrapped = 0;    // moved from the old key to the new one by this run
  size_t already_new = 0;  // under the new key before this run (an interrupted run did them)
};

// Re-wraps every row not yet under `new_key`. `old_key` may be null when the old key is gone:
// then every row must already be under `new_key` (Conflict naming the first that is not). A row
// that `old_key` does not open is Corruption naming it; nothing after it is done. The rows are
// the store's (trusted as far as the key ids in their frames go: a forged id only makes the
// check in CheckAllOpenUnder fail).
Result<RewrapReport> RewrapMasterWraps(store::Store& store, const keys::MasterKey* old_key,
                                       const keys::MasterKey& new_key,
                                       const RewrapOptions& options = {});

// Opens every row with `key`: the number that open; Corruption naming the first that does not.
Result<size_t> CheckAllOpenUnder(store::Store& store, const keys::MasterKey& key);

// Records the audit event "platform.master_key_rotated" (actor "system", subject "master-key",
// details: the counts of `report` and `checked`; no key material) as a pending log event; the
// next `sealpost serve` sequences it.
Status RecordRotation(store::Store& store, TimePoint now, const RewrapReport& report,
                      size_t checked);

}  // namespace sealpost::app
