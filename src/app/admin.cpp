#include "app/admin.h"

#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/outbound_mail.h"
#include "app/portal_author.h"
#include "app/system_mail.h"
#include "audit/log_verify.h"
#include "core/address.h"
#include "tlog/merkle.h"

namespace sealpost::app {
namespace {

Status RequireAdmin(const AuthContext& ctx) {
  if (!ctx.user.is_admin) return PermissionDenied("administrators only");
  return Status::Ok();
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

Result<AccountPage> Admin::ListAccounts(const AuthContext& ctx, std::string_view cursor,
                                        int limit) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  SP_RETURN_IF_ERROR(CheckLimit(limit));
  // The cursor is the last listed address, hex-encoded so it travels in a URL unchanged.
  std::optional<std::string> after;
  if (!cursor.empty()) {
    auto bytes = HexDecode(cursor);
    if (!bytes.ok() || bytes->empty() || bytes->size() > EmailAddress::kMaxLength) {
      return InvalidArgument("malformed cursor").ShownToClient();
    }
    after = std::string(AsChars(*bytes));
  }
  SP_ASSIGN_OR_RETURN(auto users,
                      s_.store.accounts().ListUsers(after ? &*after : nullptr, limit + 1));
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

Status Admin::SetDisabled(const AuthContext& ctx, std::string_view user_id, bool disabled) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  auto id = UserId::Parse(user_id);
  if (!id.ok() || *id == kPortalSenderId) return NotFound("user not found");
  if (disabled && *id == ctx.user.id) {
    return Conflict("administrators cannot disable themselves").ShownToClient();
  }
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().SetUserDisabled(*id, disabled));
    if (disabled) SP_RETURN_IF_ERROR(tx.accounts().DeleteSessionsOfUser(*id));
    return RecordEvent(s_, tx, disabled ? "user_disabled" : "user_enabled", ctx.user.id.str(),
                       id->str());
  });
}

Status Admin::Invite(const AuthContext& ctx, std::string_view email_text) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  auto parsed = EmailAddress::Parse(email_text);
  if (!parsed.ok()) return parsed.status().ShownToClient(Reason::kInvalidEmail);
  const EmailAddress email = std::move(*parsed);
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
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "invitation_sent", ctx.user.id.str(), email.str()));
    return QueueMail(s_, tx.outbox(), InvitationMail(s_.config, email),
                     inviter.ok() ? std::optional<EmailAddress>(*inviter) : std::nullopt);
  });
}

Result<AuditPage> Admin::ListAudit(const AuthContext& ctx, std::optional<int64_t> before,
                                   int limit) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
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

Result<audit::VerifyReport> Admin::VerifyAudit(const AuthContext& ctx) {
  SP_RETURN_IF_ERROR(RequireAdmin(ctx));
  (void)s_.audit.SequenceNow(s_.store);
  return audit::VerifyAuditLog(s_.store, s_.audit.verify_key());
}

}  // namespace sealpost::app
