// Retention and legal hold (app/retention.h, docs/retention.md): each domain's retention policy,
// the legal holds placed on members and messages, the tombstones that record what retention
// shredded, and the queries that find what is due. Part of the Store (store/store.h).
//
// Shredding is crypto-shredding: a mailbox entry goes with the data key sealed in it; a pickup
// keeps its row (the sender's status) but loses its wrapped key and shares; once nothing holding
// the data key is left, the message's encrypted summary and body are emptied and its attachment
// blobs removed. Each step leaves a tombstone, so `sealpost verify audit` tells shredding from
// tampering (audit/store_check.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"
#include "store/records.h"

namespace sealpost::store {

// Messages of the domain's members older than `days` are shredded (days >= 1).
struct RetentionPolicyRecord {
  std::string domain;  // lower-case, the part after '@' of the members' addresses
  int64_t days = 0;
  std::string set_by;  // user id of who set it
  TimePoint updated_at;
};

enum class HoldTarget : int { kMember = 1, kMessage = 2 };

struct HoldRecord {
  std::string id;  // 32 lower-case hex digits
  HoldTarget target = HoldTarget::kMember;
  std::string subject;  // a user id (kMember) or a message id (kMessage)
  std::string reason;   // bounded by app/; no message content
  std::string placed_by;
  TimePoint placed_at;
  std::optional<TimePoint> released_at{};
  std::string released_by{};  // "" while active
};

// What one tombstone records as shredded.
enum class ShredKind : int {
  kContent = 0,  // the message's summary, body and attachments (owner "")
  kInbox = 1,    // the owner's inbox entry (owner: user id)
  kSent = 2,     // the owner's Sent entry (owner: user id)
  kPickup = 3,   // a guest pickup's wrapped key and shares (owner: the pickup's address)
};

struct TombstoneRecord {
  MessageId message_id;
  ShredKind kind = ShredKind::kContent;
  std::string owner;
  std::string run_id;  // the retention run (its audit event names it and digests its tombstones)
  TimePoint shredded_at;
};

// A mailbox entry due for shredding (its key fields; the sealed key is not read).
struct DueEntry {
  UserId owner_id;
  MessageId message_id;
  Folder folder = Folder::kInbox;
  TimePoint created_at;
};

struct DuePickup {
  std::string lookup;
  MessageId message_id;
  std::string email;
  TimePoint created_at;
};

class RetentionReader {
 public:
  virtual ~RetentionReader() = default;

  // By domain.
  virtual Result<std::vector<RetentionPolicyRecord>> ListPolicies() = 0;
  virtual Result<RetentionPolicyRecord> GetPolicy(const std::string& domain) = 0;

  // Newest first; released holds too when `include_released`. At most `limit`.
  virtual Result<std::vector<HoldRecord>> ListHolds(bool include_released, int limit) = 0;
  virtual Result<HoldRecord> GetHold(const std::string& id) = 0;
  // Whether an active hold names this subject.
  virtual Result<bool> IsHeld(HoldTarget target, const std::string& subject) = 0;

  // Mailbox entries of members whose address is in `domain`, created before `cutoff`, whose
  // owner and message are not held; oldest first, at most `limit` (indexed by age).
  virtual Result<std::vector<DueEntry>> ListDueEntries(const std::string& domain, TimePoint cutoff,
                                                       int limit) = 0;
  // Pickups of messages sent by members of `domain`, created before `cutoff`, that still hold a
  // wrapped key or a share, whose sender and message are not held; oldest first, at most `limit`.
  virtual Result<std::vector<DuePickup>> ListDuePickups(const std::string& domain, TimePoint cutoff,
                                                        int limit) = 0;
  // Messages whose content was shredded but whose attachment rows remain (their blobs not yet
  // removed: a run interrupted after its commit). At most `limit`; indexed (a content tombstone
  // records, when added, whether attachment rows wait).
  virtual Result<std::vector<MessageId>> ListShreddedWithAttachments(int limit) = 0;

  virtual Result<std::vector<TombstoneRecord>> ListTombstonesOfMessage(const MessageId& id) = 0;
  // By message id, kind, owner.
  virtual Result<std::vector<TombstoneRecord>> ListTombstonesOfRun(const std::string& run_id) = 0;
};

class RetentionWriter {
 public:
  virtual ~RetentionWriter() = default;

  // Inserts or replaces the domain's policy.
  virtual Status PutPolicy(const RetentionPolicyRecord& policy) = 0;
  // NotFound when the domain has none.
  virtual Status DeletePolicy(const std::string& domain) = 0;
  // Conflict when the id exists.
  virtual Status PlaceHold(const HoldRecord& hold) = 0;
  // NotFound unless the hold exists and is active.
  virtual Status ReleaseHold(const std::string& id, const std::string& released_by,
                             TimePoint at) = 0;
  // Whether an active hold names this subject, read in the transaction.
  virtual Result<bool> IsHeld(HoldTarget target, const std::string& subject) = 0;

  // Deletes the entry (and the data key sealed in it). NotFound when it is gone.
  virtual Status ShredEntry(const UserId& owner, const MessageId& id, Folder folder) = 0;
  // Empties the pickup's wrapped key and shares; a pending or opened pickup becomes expired.
  // NotFound when no such pickup.
  virtual Status ShredPickup(const std::string& lookup) = 0;
  // Mailbox entries plus pickups still holding a wrapped key or a share, of the message.
  virtual Result<int64_t> CountKeyHolders(const MessageId& id) = 0;
  // Empties the message's encrypted summary and body. NotFound when no such message.
  virtual Status ShredContent(const MessageId& id) = 0;
  // Attachment rows of the message go (after their blobs were removed), and its content
  // tombstone no longer counts as waiting for them.
  virtual Status DeleteAttachmentRows(const MessageId& id) = 0;
  // A tombstone already stored (same message, kind, owner) is kept as it is.
  virtual Status AddTombstone(const TombstoneRecord& tombstone) = 0;
};

}  // namespace sealpost::store
