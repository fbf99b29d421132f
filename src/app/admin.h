// Administrator use cases: list accounts, disable and enable them, invite addresses, grant and
// revoke roles, read the audit log and verify it. Shared by every front end.
//
// SECURITY: every method first asks app/access.h whether the caller (a session or an API token)
// holds the permission over the domain concerned: PermissionDenied (403) for a caller without it
// anywhere, NotFound for a user of a domain outside the caller's scope (as for an unknown id).
// Ids, cursors, roles, domains and addresses are untrusted input. Every state change is audited
// in the same transaction. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/access.h"
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
// Grants listed at most (GET /api/v1/admin/roles).
inline constexpr int kMaxRoleGrantsListed = 1000;

// One role grant as the administration shows it.
struct RoleGrantView {
  UserId user_id;
  std::string email;
  Role role = Role::kMember;
  std::string domain;  // a mail domain or "*"
  std::string granted_by;
  TimePoint granted_at;
};

class Admin final {
 public:
  explicit Admin(const Services& services) : s_(services), access_(s_.store) {}

  // In address order; `cursor` is empty or a previous page's next_cursor; limit 1..200.
  // `domain` empty: every account in the caller's scope (a caller holding several domains must
  // name one); otherwise the accounts of that domain, which must be in scope.
  Result<AccountPage> ListAccounts(const Caller& ctx, std::string_view cursor, int limit,
                                   std::string_view domain = {});
  // Disabling ends the account's sessions at once and refuses log-in and recovery with the usual
  // generic answers. NotFound for an unknown id; Conflict when administrators disable
  // themselves. Enabling restores the account as it was (verified or not).
  Status SetDisabled(const Caller& ctx, std::string_view user_id, bool disabled);
  // Mails `email` a link to the sign-up page. Conflict when the address already has an active
  // account; RateLimited past max_invitations_per_hour per administrator; PermissionDenied for an
  // address outside the caller's domains.
  Status Invite(const Caller& ctx, std::string_view email);
  // Newest first; entries with log index < before when given (before >= 1); limit 1..200. The
  // first page (no `before`) first asks the sequencer to sequence what is pending (done at once
  // in the process that is the sequencer; elsewhere it is done within [log] sequence_delay_ms),
  // then lists what is still pending on top, without an index.
  // Instance-wide: needs kReadAudit over "*".
  Result<AuditPage> ListAudit(const Caller& ctx, std::optional<int64_t> before, int limit);
  // Sequences what is pending (as above), then re-checks the whole log: the legacy chain and its
  // signed checkpoints, the tree against the tiles and the latest signed checkpoint.
  Result<audit::VerifyReport> VerifyAudit(const Caller& ctx);

  // The caller's own roles as they count (app/access.h GrantsOf: the is_admin flag included, as
  // administrator of "*"), for front ends deciding what to offer. Any member may ask.
  Result<std::vector<store::RoleGrantRecord>> CallerRoles(const Caller& ctx) {
    return access_.GrantsOf(ctx);
  }

  // The grants over the domains the caller may list roles of ("*" grants only to a caller
  // holding kListRoles over "*"), by domain then user; at most kMaxRoleGrantsListed.
  Result<std::vector<RoleGrantView>> ListRoles(const Caller& ctx);
  // Gives `user_id` `role` over `domain` ("*" or a mail domain). The caller needs kManageRoles
  // over that domain and over the user's own domain. InvalidArgument for "member" or a malformed
  // role or domain; Conflict when callers change their own roles. Idempotent: granting a held
  // role changes and records nothing.
  Status GrantRole(const Caller& ctx, std::string_view user_id, std::string_view role,
                   std::string_view domain);
  // The reverse; NotFound when the user does not hold that grant. The is_admin flag is not a
  // grant (it changes only with `sealpost admin`).
  Status RevokeRole(const Caller& ctx, std::string_view user_id, std::string_view role,
                    std::string_view domain);

 private:
  // The target of a role change, checked as GrantRole describes.
  Result<store::UserRecord> RoleTarget(const Caller& ctx, std::string_view user_id, Role role,
                                       const std::string& domain);

  Services s_;
  Access access_;
};

}  // namespace sealpost::app
