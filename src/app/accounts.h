// Account use cases: enrol, verify the address, log in with password + TOTP, sessions, logout,
// password change and recovery, first-administrator bootstrap. Shared by every front end
// (docs/architecture.md). Implemented in accounts.cpp, credentials.cpp (password change,
// recovery) and sessions.cpp (listing and ending sessions).
//
// SECURITY: every method sees untrusted input. Answers never reveal whether an address has an
// account (same error, comparable work); guessing is throttled per (account, client address),
// per client address and per account (auth/login_throttle.h: a stranger cannot lock the owner
// out); every state change and every failed attempt is audited. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "crypto/secret_bytes.h"
#include "crypto/secret_string.h"

namespace sealpost::app {

struct SignUpRequest {
  std::string email;
  crypto::SecretString password;
  std::string display_name;
  std::string client_address;
};

struct VerifiedAccount {
  std::string email;
  crypto::SecretBytes recovery_code;  // shown once, never stored
};

struct SessionGrant {
  crypto::SecretString cookie_value;  // the session secret; goes only into an HttpOnly cookie
  std::string csrf_token;
  store::SessionKind kind = store::SessionKind::kFull;
  TimePoint expires_at;
  store::UserRecord user;
};

// A guest who became a member (Accounts::EnrolProvenAddress): logged in at once.
struct Enrolment {
  VerifiedAccount account;
  SessionGrant session;
};

struct LoginResult {
  // Set when the account has TOTP: the client must call CompleteSecondFactor with it.
  std::optional<crypto::SecretString> login_ticket;
  // Set when no second factor is pending (the session may still be limited to TOTP set-up).
  std::optional<SessionGrant> session;
};

// One live session as its member sees it (no secret: the cookie value is never stored).
struct SessionInfo {
  std::string public_id;
  TimePoint created_at;
  TimePoint last_seen_at;
  std::string client_ip;
  std::string user_agent;
  bool current = false;
};

struct TotpEnrolment {
  std::string otpauth_uri;
  std::string qr_svg;
};

class Accounts final {
 public:
  explicit Accounts(const Services& services) : s_(services) {}

  // Always succeeds for well-formed input, whether or not the address is taken (the mailbox
  // owner learns which by the mail they receive). Sign-up mails to one address are limited
  // (AppConfig::max_system_mails_per_address per hour, counted in the store across processes):
  // past the limit the answer is the same, no mail is queued and nothing changes (a pending
  // sign-up keeps the confirmation link it was last mailed), so nobody can flood a mailbox.
  Status SignUp(const SignUpRequest& request);
  Result<VerifiedAccount> VerifyEmail(std::string_view token);
  // A guest who proved the address (pickup link + MUC, app/guests.h) becomes a member in one
  // step: active at once without a confirmation mail, and logged in (a set-up session first
  // when the policy requires TOTP). `in_same_write` runs in the transaction that creates the
  // account. Conflict when the address already has an active account; an unconfirmed sign-up
  // for it is replaced.
  Result<Enrolment> EnrolProvenAddress(
      const SignUpRequest& request, std::string_view user_agent,
      const std::function<Status(store::WriteTxn&, const store::UserRecord&)>& in_same_write);

  // `user_agent` (untrusted, optional) is kept, bounded and sanitised, for the session list.
  Result<LoginResult> Login(std::string_view email, std::string_view password,
                            const std::string& client_address, std::string_view user_agent = {});
  Result<SessionGrant> CompleteSecondFactor(std::string_view login_ticket, std::string_view code,
                                            const std::string& client_address,
                                            std::string_view user_agent = {});
  // Resolves a session cookie; enforces idle and absolute timeouts.
  Result<AuthContext> Authenticate(std::string_view cookie_value,
                                   const std::string& client_address);
  std::string CsrfTokenFor(std::string_view cookie_value) const;

  Result<TotpEnrolment> BeginTotp(const AuthContext& ctx);
  Status ConfirmTotp(const AuthContext& ctx, std::string_view code);

  Status Logout(const AuthContext& ctx);
  Status LogoutEverywhere(const AuthContext& ctx);

  // The caller's live sessions (not expired, not idle too long, not half-finished log-ins),
  // newest first. NotFound from EndSession when `public_id` is not one of the caller's sessions.
  Result<std::vector<SessionInfo>> ListSessions(const AuthContext& ctx);
  Status EndSession(const AuthContext& ctx, std::string_view public_id);
  // Housekeeping: removes sessions and log-in tickets past their absolute expiry.
  Status ExpireSessions();

  // Re-wraps the user master key under `new_password` (zero access: the UMK, and so every key
  // and message, stays the same; the old password stops working), ends every other session and
  // revokes the member's app passwords.
  // PermissionDenied (wrong-password) for a wrong current password (counted by the login throttle;
  // RateLimited once throttled); InvalidArgument when the new password breaks the rules.
  Status ChangePassword(const AuthContext& ctx, std::string_view current_password,
                        std::string_view new_password);
  // Forgotten password: the recovery code unwraps the UMK, which is re-wrapped under
  // `new_password`; a new recovery code replaces the old one (returned, shown once), every
  // session ends and every app password is revoked. Any failure about the account or code is the
  // same Unauthenticated answer; throttled like log-ins (RateLimited). InvalidArgument when the new
  // password breaks the rules (checked first, before anything about the account).
  Result<crypto::SecretBytes> Recover(std::string_view email, std::string_view recovery_code,
                                      std::string_view new_password,
                                      const std::string& client_address);

  // When no active administrator exists: a one-time token for the first-administrator link.
  Result<std::optional<std::string>> CreateBootstrapTokenIfNeeded();
  Result<VerifiedAccount> BootstrapAdmin(std::string_view token, const SignUpRequest& request);

 private:
  struct NewMember {
    store::UserRecord record;
    crypto::Umk umk;
  };
  Result<NewMember> BuildMember(const EmailAddress& email, std::string_view password,
                                std::string display_name, store::UserState state);
  // Counts one system mail to `to` in this transaction; false when it is past the limit and
  // must not be sent.
  Result<bool> CountSystemMail(store::PlatformWriter& counters, const EmailAddress& to) const;
  Status ValidatePassword(std::string_view password) const;
  Result<std::string> ValidateDisplayName(std::string_view name, const EmailAddress& email) const;
  Result<crypto::SecretBytes> AddRecoveryCode(store::UserRecord& user, const crypto::Umk& umk);
  // Fills the password slot of `user` (new salt, current parameters) with `umk` under `password`.
  Status WrapUnderPassword(store::UserRecord& user, std::string_view password,
                           const crypto::Umk& umk) const;
  SessionGrant NewSession(const store::UserRecord& user, const crypto::Umk& umk,
                          store::SessionKind kind, const std::string& client_address,
                          std::string_view user_agent, store::SessionRecord& record) const;
  Status RecordFailedRecovery(const std::string& account, const std::string& client_address,
                              const std::string& reason) const;
  void SpendEquivalentWork(std::string_view password) const;
  Status RecordFailedLogin(const std::string& account, const std::string& client_address,
                           const std::string& reason) const;

  Services s_;
};

}  // namespace sealpost::app
