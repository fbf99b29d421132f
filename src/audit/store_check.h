// The store against the log (part of `sealpost verify audit`): every message, mailbox entry and
// guest pickup that a log event says was created, and that no later event removed, must still be
// in the store. Deleting a message's rows behind the platform's back is thus named, with the log
// entry that proves the rows existed.
//
// What each event promises (app/ writes them; docs/formats/log-entry.md):
//   message.send, message.portal_reply (subject: message id; details: recipients, guests)
//       the message row; recipients − guests inbox entries; `guests` pickup rows; and for
//       message.send the sender's (the actor's) Sent entry.
//   message.recall (subject: message id; details: members)
//       removes `members` unread inbox entries. Pickups stay (as revoked rows).
//   pickup.resealed (subject: message id; details: member)
//       one more inbox entry, the member's (unless a later recall may have removed it).
//   guest.muc_set (subject: address; details: message)
//       a pickup of that message for that address.
//   retention.shred (subject: the run id; details: tombstones, the digest below)
//       mailbox entries may be gone, as the run's tombstones (store/retention_store.h) name them.
//       A tombstone excuses a missing entry only when its run's tombstones, as the store holds
//       them, digest to what the run's event says: tombstones written behind the platform's back
//       (to hide a deletion) are named instead.
// Pickup rows are never deleted (recall, expiry and retention change their state), Sent entries
// neither but by retention.
// An event whose details lack a field is checked for what it does name only (old events).
//
// Pure over the events given and the reader lookups: no SQL, no writes.
//
// SECURITY: the events come from leaves the caller has verified against a signed checkpoint; the
// store is untrusted (it is what is checked). Malformed details are skipped, never a crash.
// Thread-safety: as safe as the readers given.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/guests_store.h"
#include "store/messages_store.h"
#include "store/retention_store.h"
#include "tlog/log_entry.h"

namespace sealpost::audit {

struct IndexedEvent {
  uint64_t index = 0;  // the leaf's index in the log
  tlog::LogEvent event;
};

struct StoreFinding {
  uint64_t log_index = 0;  // the log entry that names what is missing
  std::string problem;     // e.g. "message <id> named by log entry 7 is missing from the store"
};

// The digest a retention.shred event carries of its run's tombstones: SHA-256 over one line per
// tombstone, "<message id> <kind> <owner>\n", sorted; lower-case hex. Order-independent.
std::string RetentionRunDigest(std::span<const store::TombstoneRecord> tombstones);

// True for the event types CheckStoreAgainstLog reads (callers keep only those).
bool IsStoreCheckEvent(std::string_view type);

// `events` in log order. The findings in log order of the entry that names them; an error only
// when a reader fails (NotFound is a finding, not an error).
Result<std::vector<StoreFinding>> CheckStoreAgainstLog(std::span<const IndexedEvent> events,
                                                       store::MessagesReader& messages,
                                                       store::GuestsReader& guests,
                                                       store::RetentionReader& retention);

}  // namespace sealpost::audit
