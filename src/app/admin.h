// Administrator use cases: list accounts, disable and enable them, invite addresses, read the
// audit log and verify it. Shared by every front end.
//
// SECURITY: every method first checks that the caller is an administrator (PermissionDenied
// otherwise); ids, cursors and addresses are untrusted input. Every state change is audited in
// the same transaction. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "audit/log_verify.h"

namespace sealpost::app {

enum class AccountStatus { kUnverified, kActive, kDisabled };

struct AccountSummary {
  UserId id;
  std::string email;
  bool is_admin = false;
  AccountStatus status = AccountStatus::kUnverified;
  bool totp_enabled = false;
  TimePoint created_at;
};

struct AccountPage {
  std::vector<AccountSummary> items;
  std::optional<std::string> next_cursor;
};

// One event of the audit log as the administration shows it.
struct AuditItem {
  std::optional<uint64_t> index;  // its log index; none while it waits for the sequencer
  store::AuditEvent event;
  int64_t legacy_seq = 0;  // a migrated hash-chain entry's seq; 0 for events
  Bytes leaf_hash;         // RFC 9162 leaf hash of its leaf (32 bytes)
};

struct AuditPage {
  std::vector<AuditItem> items;        // newest first: pending events (first page only), then
                                       // sequenced entries by descending index
  std::optional<int64_t> next_before;  // pass as `before` for the next (older) page
  int64_t pending = 0;                 // pending events listed on this page
};

inline constexpr int kMaxAdminPageSize = 200;

class Admin final {
 public:
  explicit Admin(const Services& services) : s_(services) {}

  // In address order; `cursor` is empty or a previous page's next_cursor; limit 1..200.
  Result<AccountPage> ListAccounts(const AuthContext& ctx, std::string_view cursor, int limit);
  // Disabling ends the account's sessions at once and refuses log-in and recovery with the usual
  // generic answers. NotFound for an unknown id; Conflict when administrators disable
  // themselves. Enabling restores the account as it was (verified or not).
  Status SetDisabled(const AuthContext& ctx, std::string_view user_id, bool disabled);
  // Mails `email` a link to the sign-up page. Conflict when the address already has an active
  // account; RateLimited past max_invitations_per_hour per administrator.
  Status Invite(const AuthContext& ctx, std::string_view email);
  // Newest first; entries with log index < before when given (before >= 1); limit 1..200. The
  // first page (no `before`) first asks the sequencer to sequence what is pending (done at once
  // in the process that is the sequencer; elsewhere it is done within [log] sequence_delay_ms),
  // then lists what is still pending on top, without an index.
  Result<AuditPage> ListAudit(const AuthContext& ctx, std::optional<int64_t> before, int limit);
  // Sequences what is pending (as above), then re-checks the whole log: the legacy chain and its
  // signed checkpoints, the tree against the tiles and the latest signed checkpoint.
  Result<audit::VerifyReport> VerifyAudit(const AuthContext& ctx);

 private:
  Services s_;
};

}  // namespace sealpost::app
