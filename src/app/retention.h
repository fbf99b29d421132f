// Retention and legal hold (docs/retention.md). Each domain may keep its members' messages for a
// set number of days; the background job (ShredDue, run by `serve`) then crypto-shreds what is
// older. A compliance officer places legal holds on members or on messages; nothing held is
// shredded, expired or recalled until the hold is released.
//
// What "a domain's message" is: each member's mailbox entry follows the policy of the domain of
// that member's address (a message between two organisations lives as long as each side keeps
// it); a guest pickup follows its sender's domain. An entry older than the policy goes together
// with the data key sealed in it; a pickup loses its wrapped key and shares (its row stays, for
// the sender's status: expired). When nothing that holds the message's data key is left, its
// encrypted summary and body are emptied and its attachment blobs removed. Each step leaves a
// tombstone; each batch ("run") records one audit event with counts and a digest of its
// tombstones, so `sealpost verify audit` tells shredding from tampering (audit/store_check.h).
// Receipts and message evidence (digests, addresses, times) stay.
//
// Holds: a hold on a member keeps that member's own entries (inbox and Sent), the pickups of the
// messages they sent and their unattached uploads; a hold on a message keeps all of it.
//
// SECURITY: the administration methods first check MayManageRetention (PermissionDenied
// otherwise); domains, ids, addresses and reasons are untrusted input, bounded here. Every change
// is audited in the same transaction, without message content. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/access.h"
#include "app/auth_context.h"
#include "app/services.h"
#include "store/retention_store.h"

namespace sealpost::app {

inline constexpr int64_t kMaxRetentionDays = 36'500;  // a hundred years
inline constexpr size_t kMaxHoldReasonBytes = 500;
inline constexpr int kMaxHoldPage = 200;

// Who may set retention and place or release holds: a compliance officer (app/access.h,
// kRetention for policies, kLegalHold for holds) over the domains of their grants — over "*" every
// domain — and the instance's administrators (the is_admin flag), who had it before roles
// existed. This gate says whether the caller has it over any domain; each method then checks the
// domain in question: a policy of another domain is 403, a member, message or hold of another
// domain is 404 like an unknown one (a message is a domain's when its sender or a member holding
// a copy of it has an address there), and lists hold only the caller's domains.
bool MayManageRetention(store::Store& store, const AuthContext& ctx);

// What one run of the job did (counts only).
struct ShredRound {
  std::string run_id;    // "" when nothing was due
  int64_t entries = 0;   // mailbox entries shredded
  int64_t pickups = 0;   // pickups whose keys were shredded
  int64_t messages = 0;  // messages whose content was shredded
  // Escrow wraps (app/escrow.h) erased: a domain's with that domain's copies, and every wrap of a
  // message whose content went.
  int64_t escrow_wraps = 0;
  int64_t blobs = 0;  // attachment blobs removed
  // The run took a full batch: more may be due.
  bool more = false;
};

class Retention final {
 public:
  explicit Retention(const Services& services) : s_(services) {}

  // The policy of the caller's own domain (any member); none when the domain keeps messages.
  Result<std::optional<store::RetentionPolicyRecord>> PolicyOfMember(const AuthContext& ctx);

  // Administration (MayManageRetention).
  Result<std::vector<store::RetentionPolicyRecord>> ListPolicies(const AuthContext& ctx);
  // `domain` a DNS domain (lower-cased here); days 1..kMaxRetentionDays (InvalidArgument
  // otherwise). Audited: retention.policy_set.
  Result<store::RetentionPolicyRecord> SetPolicy(const AuthContext& ctx, std::string_view domain,
                                                 int64_t days);
  // NotFound when the domain has none. Audited: retention.policy_cleared.
  Status ClearPolicy(const AuthContext& ctx, std::string_view domain);

  // Newest first; limit 1..kMaxHoldPage.
  Result<std::vector<store::HoldRecord>> ListHolds(const AuthContext& ctx, bool include_released,
                                                   int limit);
  // `target` "member" (subject: the member's address or user id) or "message" (subject: the
  // message id); NotFound when there is no such member or message. `reason` required, at most
  // kMaxHoldReasonBytes, one line. Audited: hold.placed (the reason is not in the log: it may
  // name a case).
  Result<store::HoldRecord> PlaceHold(const AuthContext& ctx, std::string_view target,
                                      std::string_view subject, std::string_view reason);
  // NotFound unless the hold is active. Audited: hold.released.
  Status ReleaseHold(const AuthContext& ctx, std::string_view id);

  // Whether a hold keeps this message (a hold on it, or on `member` when given: its sender, or
  // the owner of the copy in question). For the other use cases (expiry, recall).
  Result<bool> IsHeld(const MessageId& message, const std::optional<UserId>& member);
  Result<bool> IsMemberHeld(const UserId& member);

  // One run of the job: at most `batch` entries and `batch` pickups across all domains' policies,
  // oldest first, in one write transaction with one retention.shred event; then the attachment
  // blobs of the messages left without a key are removed. Also finishes blob removals a crash
  // interrupted. Nothing due: no event.
  Result<ShredRound> ShredDue(int batch);

 private:
  // The domains the caller holds `p` over ({"*"} for all); PermissionDenied when none.
  Result<std::vector<std::string>> ScopeOf(const AuthContext& ctx, Permission p);
  // The domains of the message's sender and of the members holding a copy.
  Result<std::vector<std::string>> DomainsOfMessage(const MessageId& id);
  Result<bool> HoldInScope(const std::vector<std::string>& scope, const store::HoldRecord& hold);
  // Removes the blobs of up to `batch` shredded messages, then their attachment rows.
  Result<int64_t> RemoveShreddedBlobs(int batch);

  Services s_;
};

}  // namespace sealpost::app
