// Accounts: password change and recovery with the recovery code (see accounts.h).
//
// Zero access holds throughout: the user master key (UMK) is unwrapped only inside the request,
// from the current password or the recovery code, and only re-wrapped under the new secrets. The
// UMK itself, and so the key bundle it wraps and every message key, stays the same, which is
// why messages remain readable; the old password slot and recovery slot are overwritten.
#include <nlohmann/json.hpp>

#include "app/accounts.h"
#include "app/internal/audit_event.h"
#include "crypto/random.h"

namespace sealpost::app {
namespace {

constexpr const char* kRecoveryFailed =
    "account recovery failed; check the address and the recovery code";

// Longer input than any recovery code, however it is spaced, is refused without hashing it.
constexpr size_t kMaxRecoveryCodeBytes = 128;

}  // namespace

Status Accounts::ChangePassword(const AuthContext& ctx, std::string_view current_password,
                                std::string_view new_password) {
  SP_RETURN_IF_ERROR(ValidatePassword(new_password));
  // Fresh from the store: the slot to replace is the one stored now.
  SP_ASSIGN_OR_RETURN(const store::UserRecord user, s_.store.accounts().GetUser(ctx.user.id));
  SP_RETURN_IF_ERROR(s_.throttle.Check(user.email, ctx.client_address));
  Result<crypto::Umk> umk = Unauthenticated("password too long");
  if (current_password.size() <= s_.config.limits.max_password_bytes) {
    const crypto::PasswordHashParams params{user.password_ops,
                                            static_cast<size_t>(user.password_mem)};
    SP_ASSIGN_OR_RETURN(const crypto::Kek kek, crypto::DeriveKeyFromPassword(
                                                   current_password, user.password_salt, params));
    umk = keys::UnwrapUmk(kek, user.umk_by_password, keys::UmkSlot::kPassword, user.id);
  }
  if (!umk.ok()) {
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(s_.throttle.RecordFailure(tx.platform(), user.email, ctx.client_address));
      return RecordEvent(
          s_, tx, "password_change_failed", user.id.str(), user.id.str(),
          nlohmann::json{{"reason", "wrong current password"}, {"client", ctx.client_address}}
              .dump());
    }));
    return PermissionDenied("the current password is wrong").As(Reason::kWrongPassword);
  }
  // The key the password opens must be the one that wraps this member's keys.
  SP_RETURN_IF_ERROR(keys::UnwrapBundle(*umk, user.wrapped_private_keys, user.id).status());

  store::UserRecord updated = user;
  SP_RETURN_IF_ERROR(WrapUnderPassword(updated, new_password, *umk));
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().SetPasswordSlot(
        user.id, updated.password_salt, updated.password_ops, updated.password_mem,
        updated.umk_by_password, user.umk_by_password));
    SP_RETURN_IF_ERROR(tx.accounts().DeleteOtherSessionsOfUser(user.id, ctx.session.lookup));
    // Mail programs log in again with new app passwords (app/app_passwords.h).
    SP_RETURN_IF_ERROR(
        tx.app_passwords().RevokeAppPasswordsOfUser(user.id, s_.clock.Now()).status());
    SP_RETURN_IF_ERROR(s_.throttle.RecordSuccess(tx.platform(), user.email, ctx.client_address));
    return RecordEvent(s_, tx, "password_changed", user.id.str(), user.id.str(),
                       nlohmann::json{{"client", ctx.client_address}}.dump());
  });
}

Status Accounts::RecordFailedRecovery(const std::string& account, const std::string& client_address,
                                      const std::string& reason) const {
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(s_.throttle.RecordFailure(tx.platform(), account, client_address));
    return RecordEvent(s_, tx, "password_recovery_failed", "ip:" + client_address, account,
                       nlohmann::json{{"reason", reason}}.dump());
  });
}

Result<crypto::SecretBytes> Accounts::Recover(std::string_view email_text,
                                              std::string_view recovery_code,
                                              std::string_view new_password,
                                              const std::string& client_address) {
  // Says nothing about the account, so it may come first and differ from the other failures.
  SP_RETURN_IF_ERROR(ValidatePassword(new_password));
  auto email = EmailAddress::Parse(email_text);
  const std::string account =
      email.ok() ? email->str() : std::string(email_text.substr(0, EmailAddress::kMaxLength));
  SP_RETURN_IF_ERROR(s_.throttle.Check(account, client_address));

  auto user = email.ok() ? s_.store.accounts().GetUserByEmail(email->str())
                         : Result<store::UserRecord>(NotFound("malformed address"));
  if (!user.ok() && user.status().code() != ErrorCode::kNotFound) return user.status();
  auto code = recovery_code.size() <= kMaxRecoveryCodeBytes
                  ? keys::NormaliseRecoveryCode(recovery_code)
                  : Result<crypto::SecretBytes>(InvalidArgument("recovery code too long"));
  std::string reason;
  if (!user.ok() || user->state != store::UserState::kActive) {
    reason = "no active account";
  } else if (user->disabled) {
    reason = "account disabled";
  } else if (user->umk_by_recovery.empty()) {
    reason = "no recovery code";
  } else if (!code.ok()) {
    reason = "malformed recovery code";
  }
  if (!reason.empty()) {
    SpendEquivalentWork(recovery_code.substr(0, kMaxRecoveryCodeBytes));
    SP_RETURN_IF_ERROR(RecordFailedRecovery(account, client_address, reason));
    return Unauthenticated(kRecoveryFailed).As(Reason::kRecoveryFailed);
  }
  // The parameters the slot was made with; a slot from before they were stored used the
  // configured ones.
  const crypto::PasswordHashParams params =
      user->recovery_ops != 0 ? crypto::PasswordHashParams{user->recovery_ops, user->recovery_mem}
                              : s_.config.password_hash;
  SP_ASSIGN_OR_RETURN(
      const crypto::Kek kek,
      crypto::DeriveKeyFromPassword(code->AsStringView(), user->recovery_salt, params));
  auto umk = keys::UnwrapUmk(kek, user->umk_by_recovery, keys::UmkSlot::kRecoveryCode, user->id);
  if (!umk.ok()) {
    SP_RETURN_IF_ERROR(RecordFailedRecovery(account, client_address, "wrong recovery code"));
    return Unauthenticated(kRecoveryFailed).As(Reason::kRecoveryFailed);
  }
  SP_RETURN_IF_ERROR(keys::UnwrapBundle(*umk, user->wrapped_private_keys, user->id).status());

  store::UserRecord updated = *user;
  SP_RETURN_IF_ERROR(WrapUnderPassword(updated, new_password, *umk));
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes new_code, AddRecoveryCode(updated, *umk));
  const Status written = s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().SetPasswordSlot(
        user->id, updated.password_salt, updated.password_ops, updated.password_mem,
        updated.umk_by_password, user->umk_by_password));
    SP_RETURN_IF_ERROR(tx.accounts().SetRecoverySlot(
        user->id, updated.recovery_salt, updated.recovery_ops, updated.recovery_mem,
        updated.umk_by_recovery, user->umk_by_recovery));
    SP_RETURN_IF_ERROR(tx.accounts().DeleteSessionsOfUser(user->id));
    SP_RETURN_IF_ERROR(
        tx.app_passwords().RevokeAppPasswordsOfUser(user->id, s_.clock.Now()).status());
    SP_RETURN_IF_ERROR(s_.throttle.RecordSuccess(tx.platform(), account, client_address));
    return RecordEvent(s_, tx, "password_recovered", "ip:" + client_address, user->id.str(),
                       nlohmann::json{{"client", client_address}}.dump());
  });
  // The same code used twice at once: only the first use wins.
  if (written.code() == ErrorCode::kConflict)
    return Unauthenticated(kRecoveryFailed).As(Reason::kRecoveryFailed);
  SP_RETURN_IF_ERROR(written);
  return new_code;
}

}  // namespace sealpost::app
