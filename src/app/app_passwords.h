// App passwords for mail programs (docs/mail-clients.md): a member creates, names, lists and
// revokes them in Settings or the API, and a mail program logs in to SMTP submission with the
// member's address and one of them. Like a session secret, an app password unwraps the member's
// UMK (keys::UmkSlot::kAppPassword), so mail sent from a mail program is sealed with the member's
// own key; unlike a log-in password it is random and long (auth/app_password_secret.h), so it is
// checked by a fast one-way lookup, not argon2id. The password is shown once, at creation, and
// never stored.
//
// Revocation is immediate (the next Authenticate fails) and wipes the stored wrapped UMK. Every
// live app password of a member is revoked when the member is disabled, recovers the account or
// changes the password (app/admin.cpp, app/credentials.cpp).
//
// SECURITY: names, ids, addresses and presented passwords are untrusted input. Authenticate is
// reached from the network (SMTP AUTH) before anyone is known: every failure — malformed or
// unknown address, malformed, unknown, revoked or another member's password, disabled member —
// is the same Unauthenticated answer, the address is not even looked up unless the password is
// right (no oracle for which addresses exist), the found lookup is compared again in constant
// time, and failures are counted by the log-in throttle (auth/login_throttle.h: per account and
// address, per address, per account) and audited (never the password). Creation and revocation
// are audited in the same transaction. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "crypto/secret_string.h"

namespace sealpost::app {

struct AppPasswordLimits {
  int max_per_member = 20;  // live passwords
  size_t max_name_chars = 64;
  int keep_revoked = 20;  // revoked ones kept for the member's history
};

// What a mail program needs besides the address and the password: shown with a new password.
struct MailProgramSettings {
  std::string host;            // the name mail programs connect to (no port)
  uint16_t starttls_port = 0;  // submission with STARTTLS (RFC 6409); 0 = not offered
  uint16_t tls_port = 0;       // submission over implicit TLS (RFC 8314); 0 = not offered
};

// One app password as its member sees it (there is no secret to show after creation).
struct AppPasswordInfo {
  std::string id;  // 32 hex digits
  std::string name;
  TimePoint created_at;
  std::optional<TimePoint> last_used_at;
};

struct CreatedAppPassword {
  AppPasswordInfo info;
  crypto::SecretString password;  // "abcd-efgh-…" (8 groups of 4); shown once
};

class AppPasswords final {
 public:
  // An empty `mail.host` is the host of the public URL (AppConfig::public_url).
  explicit AppPasswords(const Services& services, AppPasswordLimits limits = {},
                        MailProgramSettings mail = {});

  // InvalidArgument for an empty, over-long or non-printable name; Conflict past
  // max_per_member live passwords. The context must hold the member's UMK (a full session).
  Result<CreatedAppPassword> Create(const AuthContext& ctx, std::string_view name);
  // The member's live passwords, newest first.
  Result<std::vector<AppPasswordInfo>> List(const AuthContext& ctx);
  // NotFound when the member has no live password with this id.
  Status Revoke(const AuthContext& ctx, std::string_view id);

  // The member a mail program logs in as (SMTP AUTH user name = the member's address), with the
  // UMK the password unwraps. Unauthenticated (invalid-credentials) for every failure about the
  // address or the password; RateLimited once throttled; other codes only when the store fails.
  // The context has no session secret: ctx.session is filled from the app password (public_id =
  // its id, kind full, no lookup). Notes the use at most once a minute per password.
  Result<AuthContext> Authenticate(std::string_view email, const crypto::SecretString& password,
                                   std::string_view client_address);

  // For a face that holds a context from Authenticate across a connection (SMTP: AUTH, then
  // one message after another): Ok while its app password is live and its member active, else
  // the same Unauthenticated answer. Two reads, no write; call it before acting on the context
  // again, so that a revocation or a disabled member stops a connection already logged in.
  Status StillLive(const AuthContext& ctx);

  const MailProgramSettings& mail_settings() const { return mail_; }

 private:
  Status RecordFailure(const std::string& account, const std::string& client_address,
                       std::string_view reason) const;

  Services s_;
  AppPasswordLimits limits_;
  MailProgramSettings mail_;
};

}  // namespace sealpost::app
