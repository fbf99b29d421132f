#include "app/admin.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/inbound_seal.h"
#include "app/internal/audit_event.h"
#include "app/outbound_mail.h"
#include "app/portal_author.h"
#include "app/system_mail.h"
#include "audit/log_verify.h"
#include "core/address.h"
#include "tlog/merkle.h"

namespace sealpost::app {
namespace {

// Who did it, for the audit trail: the member, and the API token when one was used.
std::string ActorOf(const Caller& c) { return c.user.id.str(); }
nlohmann::json ActorDetails(const Caller& c) {
  nlohmann::json d = nlohmann::json::object();
  if (c.token_role) d["api_token"] = c.token_id;
  return d;
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxAdminPageSize) {
    return InvalidArgument(fmt::format("limit must be between 1 and {}", kMaxAdminPageSize))
        .ShownToClient();
  }
  return Status::Ok();
}

std::string InvitationKey(const UserId& admin) { return "invite:" + admin.str(); }

}  // namespace

Result<AccountPage> Admin::ListAccounts(const Caller& ctx, std::string_view cursor, int limit,
                                        std::string_view domain) {
  SP_RETURN_IF_ERROR(access_.RequireSomewhere(ctx, Permission::kListUsers));
  SP_RETURN_IF_ERROR(CheckLimit(limit));
  // Which accounts: all (a "*" scope and no domain asked), or those of one domain in scope.
  std::string scope;
  if (!domain.empty()) {
    SP_ASSIGN_OR_RETURN(scope, NormaliseDomainScope(domain));
    SP_RETURN_IF_ERROR(access_.Require(ctx, Permission::kListUsers, scope));
  } else {
    SP_ASSIGN_OR_RETURN(const auto domains, access_.DomainsWith(ctx, Permission::kListUsers));
    if (domains.size() > 1) {
      return InvalidArgument("you administer several domains: choose one with domain=")
          .ShownToClient();
    }
    scope = domains.at(0);  // not empty: RequireSomewhere passed
  }
  // The cursor is the last listed address, hex-encoded so it travels in a URL unchanged.
  std::optional<std::string> after;
  if (!cursor.empty()) {
    auto bytes = HexDecode(cursor);
    if (!bytes.ok() || bytes->empty() || bytes->size() > EmailAddress::kMaxLength) {
      return InvalidArgument("malformed cursor").ShownToClient();
    }
    after = std::string(AsChars(*bytes));
  }
  const std::string* after_ptr = after ? &*after : nullptr;
  SP_ASSIGN_OR_RETURN(auto users,
                      scope == store::kAllDomains
                          ? s_.store.accounts().ListUsers(after_ptr, limit + 1)
                          : s_.store.access().ListUsersOfDomain(scope, after_ptr, limit + 1));
  AccountPage page;
  if (users.size() > static_cast<size_t>(limit)) {
    users.pop_back();
    page.next_cursor = HexEncode(AsBytes(users.back().email));
  }
  for (const store::UserRecord& u : users) {
    if (u.state == store::UserState::kSystem) continue;  // not an account
    const AccountStatus status = u.disabled ? AccountStatus::kDisabled
                                 : u.state == store::UserState::kActive
                                     ? AccountStatus::kActive
                                     : AccountStatus::kUnverified;
    page.items.push_back({u.id, u.email, u.is_admin, status, u.totp_enabled, u.created_at});
  }
  return page;
}

Status Admin::SetDisabled(const Caller& ctx, std::string_view user_id, bool disabled) {
  SP_RETURN_IF_ERROR(access_.RequireSomewhere(ctx, Permission::kManageUsers));
  auto id = UserId::Parse(user_id);
  if (!id.ok() || *id == kPortalSenderId || *id == kInboundSenderId) {
    return NotFound("user not found");
  }
  SP_ASSIGN_OR_RETURN(const store::UserRecord target, s_.store.accounts().GetUser(*id));
  SP_RETURN_IF_ERROR(access_.RequireForUser(ctx, Permission::kManageUsers, target));
  if (disabled && *id == ctx.user.id) {
    return Conflict("administrators cannot disable themselves").ShownToClient();
  }
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().SetUserDisabled(*id, disabled));
    if (disabled) {
      SP_RETURN_IF_ERROR(tx.accounts().DeleteSessionsOfUser(*id));
      // A mail program's app password is a session too (app/app_passwords.h).
      SP_RETURN_IF_ERROR(tx.app_passwords().RevokeAppPasswordsOfUser(*id, s_.clock.Now()).status());
    }
    return RecordEvent(s_, tx, disabled ? "user_disabled" : "user_enabled", ActorOf(ctx), id->str(),
                       ActorDetails(ctx).dump());
  });
}

Status Admin::Invite(const Caller& ctx, std::string_view email_text) {
  SP_RETURN_IF_ERROR(access_.RequireSomewhere(ctx, Permission::kInviteUsers));
  auto parsed = EmailAddress::Parse(email_text);
  if (!parsed.ok()) return parsed.status().ShownToClient(Reason::kInvalidEmail);
  const EmailAddress email = std::move(*parsed);
  SP_RETURN_IF_ERROR(access_.Require(ctx, Permission::kInviteUsers, email.domain()));
  const auto window = std::chrono::hours(1);
  SP_ASSIGN_OR_RETURN(const int64_t sent, s_.store.platform().GetCounter(InvitationKey(ctx.user.id),
                                                                         s_.clock.Now(), window));
  if (sent >= s_.config.max_invitations_per_hour) {
    return RateLimited("too many invitations; try again later")
        .ShownToClient()
        .RetryAfter(static_cast<uint32_t>(std::chrono::seconds(window).count()));
  }
  auto existing = s_.store.accounts().GetUserByEmail(email.str());
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) {
    return existing.status();
  }
  if (existing.ok() && existing->state == store::UserState::kActive) {
    return Conflict("this address already has an account").ShownToClient(Reason::kAddressTaken);
  }
  // Queued with the record of it: the log never claims an invitation that was not queued. The
  // inviting administrator hears of it if the invitation cannot be delivered.
  const Result<EmailAddress> inviter = EmailAddress::Parse(ctx.user.email);
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(
        tx.platform().BumpCounter(InvitationKey(ctx.user.id), s_.clock.Now(), window).status());
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "invitation_sent", ActorOf(ctx), email.str(),
                                   ActorDetails(ctx).dump()));
    return QueueMail(s_, tx.outbox(), InvitationMail(s_.config, email),
                     inviter.ok() ? std::optional<EmailAddress>(*inviter) : std::nullopt);
  });
}

Result<AuditPage> Admin::ListAudit(const Caller& ctx, std::optional<int64_t> before, int limit) {
  SP_RETURN_IF_ERROR(access_.Require(ctx, Permission::kReadAudit));
  SP_RETURN_IF_ERROR(CheckLimit(limit));
  if (before && *before < 1) {
    return InvalidArgument("before must be a log index >= 1").ShownToClient();
  }
  AuditPage page;
  auto add = [&](std::optional<uint64_t> index, const Bytes& leaf) -> Status {
    AuditItem item;
    item.index = index;
    const tlog::Hash hash = tlog::LeafHash(leaf);
    item.leaf_hash.assign(hash.begin(), hash.end());
    auto event = audit::EventOfLeaf(leaf);
    if (event.ok()) {
      item.event = std::move(event->event);
      item.legacy_seq = event->legacy_seq;
    } else {
      // Shown, not hidden: a malformed leaf is what "Verify now" reports.
      item.event.type = "(malformed leaf)";
    }
    page.items.push_back(std::move(item));
    return Status::Ok();
  };
  if (!before) {
    // A failed round is no reason to refuse the listing: what is pending is listed as such.
    (void)s_.audit.SequenceNow(s_.store);
    SP_ASSIGN_OR_RETURN(auto pending, s_.store.log().ReadPendingEventsBefore(
                                          std::numeric_limits<int64_t>::max(), limit));
    for (const store::PendingLogEvent& p : pending) SP_RETURN_IF_ERROR(add(std::nullopt, p.leaf));
    page.pending = static_cast<int64_t>(pending.size());
  }
  const uint64_t below = before ? static_cast<uint64_t>(*before) : uint64_t{INT64_MAX};
  const int room = limit - static_cast<int>(page.items.size());
  SP_ASSIGN_OR_RETURN(auto entries, s_.store.log().ReadLogEntriesBefore(below, room));
  for (const store::LogEntryRecord& e : entries) SP_RETURN_IF_ERROR(add(e.index, e.leaf));
  // An older page exists when an entry lies below the oldest one shown.
  SP_ASSIGN_OR_RETURN(const auto older, s_.store.log().ReadLogEntriesBefore(
                                            entries.empty() ? below : entries.back().index, 1));
  if (!older.empty()) {
    page.next_before =
        static_cast<int64_t>(entries.empty() ? older[0].index + 1 : entries.back().index);
  }
  return page;
}

Result<audit::VerifyReport> Admin::VerifyAudit(const Caller& ctx) {
  SP_RETURN_IF_ERROR(access_.Require(ctx, Permission::kReadAudit));
  (void)s_.audit.SequenceNow(s_.store);
  return audit::VerifyAuditLog(s_.store, s_.audit.verify_key());
}

Result<std::vector<RoleGrantView>> Admin::ListRoles(const Caller& ctx) {
  SP_RETURN_IF_ERROR(access_.RequireSomewhere(ctx, Permission::kListRoles));
  SP_ASSIGN_OR_RETURN(const auto domains, access_.DomainsWith(ctx, Permission::kListRoles));
  const bool all = domains.size() == 1 && domains[0] == store::kAllDomains;
  SP_ASSIGN_OR_RETURN(const auto grants, s_.store.access().ListRoleGrants(kMaxRoleGrantsListed));
  std::vector<RoleGrantView> out;
  for (const store::RoleGrantRecord& g : grants) {
    if (!all && std::find(domains.begin(), domains.end(), g.domain) == domains.end()) continue;
    auto user = s_.store.accounts().GetUser(g.user_id);
    if (!user.ok()) continue;  // deleted meanwhile (its grants go with it)
    out.push_back({g.user_id, user->email, g.role, g.domain, g.granted_by, g.granted_at});
  }
  return out;
}

Result<store::UserRecord> Admin::RoleTarget(const Caller& ctx, std::string_view user_id, Role role,
                                            const std::string& domain) {
  if (role == Role::kMember) {
    return InvalidArgument("every account is a member; grant another role").ShownToClient();
  }
  SP_RETURN_IF_ERROR(access_.Require(ctx, Permission::kManageRoles, domain));
  auto id = UserId::Parse(user_id);
  if (!id.ok() || *id == kPortalSenderId || *id == kInboundSenderId) {
    return NotFound("user not found");
  }
  SP_ASSIGN_OR_RETURN(store::UserRecord target, s_.store.accounts().GetUser(*id));
  SP_RETURN_IF_ERROR(access_.RequireForUser(ctx, Permission::kManageRoles, target));
  if (target.id == ctx.user.id) {
    return Conflict("nobody changes their own roles").ShownToClient();
  }
  return target;
}

Status Admin::GrantRole(const Caller& ctx, std::string_view user_id, std::string_view role_name,
                        std::string_view domain_text) {
  SP_RETURN_IF_ERROR(access_.RequireSomewhere(ctx, Permission::kManageRoles));
  SP_ASSIGN_OR_RETURN(const Role role, ParseRole(role_name));
  SP_ASSIGN_OR_RETURN(const std::string domain, NormaliseDomainScope(domain_text));
  SP_ASSIGN_OR_RETURN(const store::UserRecord target, RoleTarget(ctx, user_id, role, domain));
  SP_ASSIGN_OR_RETURN(const auto held, s_.store.access().ListRoleGrantsOfUser(target.id));
  for (const store::RoleGrantRecord& g : held) {
    if (g.role == role && g.domain == domain) return Status::Ok();  // PUT: already so
  }
  nlohmann::json details = ActorDetails(ctx);
  details["role"] = RoleName(role);
  details["domain"] = domain;
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(
        tx.access().PutRoleGrant({target.id, role, domain, ActorOf(ctx), s_.clock.Now()}));
    return RecordEvent(s_, tx, "role_granted", ActorOf(ctx), target.id.str(), details.dump());
  });
}

Status Admin::RevokeRole(const Caller& ctx, std::string_view user_id, std::string_view role_name,
                         std::string_view domain_text) {
  SP_RETURN_IF_ERROR(access_.RequireSomewhere(ctx, Permission::kManageRoles));
  SP_ASSIGN_OR_RETURN(const Role role, ParseRole(role_name));
  SP_ASSIGN_OR_RETURN(const std::string domain, NormaliseDomainScope(domain_text));
  SP_ASSIGN_OR_RETURN(const store::UserRecord target, RoleTarget(ctx, user_id, role, domain));
  nlohmann::json details = ActorDetails(ctx);
  details["role"] = RoleName(role);
  details["domain"] = domain;
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.access().DeleteRoleGrant(target.id, role, domain));
    return RecordEvent(s_, tx, "role_revoked", ActorOf(ctx), target.id.str(), details.dump());
  });
}

}  // namespace sealpost::app
