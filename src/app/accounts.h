// Account use cases: enrol, verify the address, log in with password + TOTP, sessions, logout,
// first-administrator bootstrap. Shared by every front end (DESIGN.md §3).
//
// SECURITY: every method sees untrusted input. Answers never reveal whether an address has an
// account (same error, comparable work); guessing is throttled per account and per client
// address; every state change and every failed attempt is audited. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/auth_context.h"
#include "app/services.h"
#include "crypto/secret_bytes.h"

namespace sealpost::app {

struct SignUpRequest {
  std::string email;
  std::string password;
  std::string display_name;
  std::string client_address;
};

struct VerifiedAccount {
  std::string email;
  crypto::SecretBytes recovery_code;  // shown once, never stored
};

struct SessionGrant {
  std::string cookie_value;  // the session secret; goes only into an HttpOnly cookie
  std::string csrf_token;
  store::SessionKind kind = store::SessionKind::kFull;
  TimePoint expires_at;
  store::UserRecord user;
};

struct LoginResult {
  // Set when the account has TOTP: the client must call CompleteSecondFactor with it.
  std::optional<std::string> login_ticket;
  // Set when no second factor is pending (the session may still be limited to TOTP set-up).
  std::optional<SessionGrant> session;
};

struct TotpEnrolment {
  std::string otpauth_uri;
  std::string qr_svg;
};

class Accounts final {
 public:
  explicit Accounts(const Services& services) : s_(services) {}

  // Always succeeds for well-formed input, whether or not the address is taken (the mailbox
  // owner learns which by the mail they receive).
  Status SignUp(const SignUpRequest& request);
  Result<VerifiedAccount> VerifyEmail(std::string_view token);

  Result<LoginResult> Login(std::string_view email, std::string_view password,
                            const std::string& client_address);
  Result<SessionGrant> CompleteSecondFactor(std::string_view login_ticket, std::string_view code,
                                            const std::string& client_address);
  // Resolves a session cookie; enforces idle and absolute timeouts.
  Result<AuthContext> Authenticate(std::string_view cookie_value,
                                   const std::string& client_address);
  std::string CsrfTokenFor(std::string_view cookie_value) const;

  Result<TotpEnrolment> BeginTotp(const AuthContext& ctx);
  Status ConfirmTotp(const AuthContext& ctx, std::string_view code);

  Status Logout(const AuthContext& ctx);
  Status LogoutEverywhere(const AuthContext& ctx);

  // When no active administrator exists: a one-time token for the first-administrator link.
  Result<std::optional<std::string>> CreateBootstrapTokenIfNeeded();
  Result<VerifiedAccount> BootstrapAdmin(std::string_view token, const SignUpRequest& request);

 private:
  struct NewMember {
    store::UserRecord record;
    crypto::AeadKey umk;
  };
  Result<NewMember> BuildMember(const EmailAddress& email, std::string_view password,
                                std::string display_name, store::UserState state);
  Status ValidatePassword(std::string_view password) const;
  Result<std::string> ValidateDisplayName(std::string_view name, const EmailAddress& email) const;
  Result<crypto::SecretBytes> AddRecoveryCode(store::UserRecord& user, const crypto::AeadKey& umk);
  SessionGrant NewSession(const store::UserRecord& user, const crypto::AeadKey& umk,
                          store::SessionKind kind, store::SessionRecord& record) const;
  void SpendEquivalentWork(std::string_view password) const;
  Status RecordFailedLogin(const std::string& account, const std::string& client_address,
                           const std::string& reason) const;

  Services s_;
};

}  // namespace sealpost::app
