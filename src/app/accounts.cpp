#include "app/accounts.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/internal/certified_keys.h"
#include "app/outbound_mail.h"
#include "app/system_mail.h"
#include "auth/bearer_secret.h"
#include "auth/qr_code.h"
#include "auth/totp.h"
#include "core/text.h"
#include "crypto/ad_labels.h"
#include "crypto/random.h"

namespace sealpost::app {
namespace {

using store::SessionKind;
using store::UserState;

constexpr const char* kWrongCredentials = "wrong email address or password";
constexpr std::chrono::hours kSystemMailWindow{1};

std::string TotpPurpose(const UserId& id) {
  return std::string(crypto::kMasterPurposeTotp) + id.str();
}

// An address typed by the client: what is wrong with it is the client's to read.
Result<EmailAddress> ParseClientEmail(std::string_view text) {
  auto email = EmailAddress::Parse(text);
  if (!email.ok()) return Status(email.status()).ShownToClient(Reason::kInvalidEmail);
  return email;
}

}  // namespace

Status Accounts::ValidatePassword(std::string_view password) const {
  if (password.size() > s_.config.limits.max_password_bytes) {
    return InvalidArgument(
               fmt::format("password is longer than {} bytes", s_.config.limits.max_password_bytes))
        .ShownToClient(Reason::kInvalidPassword);
  }
  if (!IsValidUtf8(password)) {
    return InvalidArgument("password is not valid UTF-8").ShownToClient(Reason::kInvalidPassword);
  }
  size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (chars < s_.config.limits.min_password_chars) {
    return InvalidArgument(fmt::format("password must have at least {} characters",
                                       s_.config.limits.min_password_chars))
        .ShownToClient(Reason::kInvalidPassword);
  }
  return Status::Ok();
}

Result<std::string> Accounts::ValidateDisplayName(std::string_view name,
                                                  const EmailAddress& email) const {
  if (name.empty()) return std::string(email.local_part());
  if (name.size() > s_.config.limits.max_display_name_bytes || !IsValidUtf8(name) ||
      HasControlCharacters(name, false)) {
    return InvalidArgument(fmt::format("display name must be valid text of at most {} bytes",
                                       s_.config.limits.max_display_name_bytes))
        .ShownToClient(Reason::kInvalidDisplayName);
  }
  return std::string(name);
}

void Accounts::SpendEquivalentWork(std::string_view password) const {
  static const Bytes kSalt(crypto::kPasswordSaltBytes, 0x5a);
  (void)crypto::DeriveKeyFromPassword(password.substr(0, s_.config.limits.max_password_bytes),
                                      kSalt, s_.config.password_hash);
}

Result<Accounts::NewMember> Accounts::BuildMember(const EmailAddress& email,
                                                  std::string_view password,
                                                  std::string display_name, UserState state) {
  store::UserRecord u;
  u.id = platform::NewId<UserId>(s_.rng);
  u.email = email.str();
  u.display_name = std::move(display_name);
  u.state = state;
  u.created_at = s_.clock.Now();
  crypto::Umk umk = crypto::Umk::Generate();
  const keys::MemberKeyBundle bundle = keys::MemberKeyBundle::Generate();
  const ByteView box_pub = bundle.box.public_key().bytes();
  const ByteView verify = bundle.signing.verify_key().bytes();
  u.box_public_key.assign(box_pub.begin(), box_pub.end());
  u.verify_key.assign(verify.begin(), verify.end());
  u.wrapped_private_keys = keys::WrapBundle(umk, bundle, u.id);
  SP_RETURN_IF_ERROR(WrapUnderPassword(u, password, umk));
  return NewMember{std::move(u), std::move(umk)};
}

Status Accounts::WrapUnderPassword(store::UserRecord& u, std::string_view password,
                                   const crypto::Umk& umk) const {
  u.password_salt = crypto::RandomBytes(crypto::kPasswordSaltBytes);
  u.password_ops = s_.config.password_hash.ops_limit;
  u.password_mem = s_.config.password_hash.mem_limit_bytes;
  SP_ASSIGN_OR_RETURN(
      const crypto::Kek kek,
      crypto::DeriveKeyFromPassword(password, u.password_salt, s_.config.password_hash));
  u.umk_by_password = keys::WrapUmk(kek, umk, keys::UmkSlot::kPassword, u.id);
  return Status::Ok();
}

Result<crypto::SecretBytes> Accounts::AddRecoveryCode(store::UserRecord& user,
                                                      const crypto::Umk& umk) {
  keys::RecoveryCode code = keys::GenerateRecoveryCode();
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes normalised,
                      keys::NormaliseRecoveryCode(code.text.AsStringView()));
  user.recovery_salt = crypto::RandomBytes(crypto::kPasswordSaltBytes);
  user.recovery_ops = s_.config.password_hash.ops_limit;
  user.recovery_mem = s_.config.password_hash.mem_limit_bytes;
  SP_ASSIGN_OR_RETURN(const crypto::Kek kek,
                      crypto::DeriveKeyFromPassword(normalised.AsStringView(), user.recovery_salt,
                                                    s_.config.password_hash));
  user.umk_by_recovery = keys::WrapUmk(kek, umk, keys::UmkSlot::kRecoveryCode, user.id);
  return std::move(code.text);
}

Status Accounts::SignUp(const SignUpRequest& request) {
  SP_ASSIGN_OR_RETURN(const EmailAddress email, ParseClientEmail(request.email));
  SP_RETURN_IF_ERROR(ValidatePassword(request.password.view()));
  SP_ASSIGN_OR_RETURN(std::string display_name, ValidateDisplayName(request.display_name, email));

  auto existing = s_.store.accounts().GetUserByEmail(email.str());
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) return existing.status();
  // A disabled account keeps its address, even before it was verified.
  if (existing.ok() && (existing->state != UserState::kPending || existing->disabled)) {
    // Same answer and comparable work as a new sign-up; the owner of the address is told,
    // unless the address has had its share of mail this hour.
    SpendEquivalentWork(request.password.view());
    return s_.store.Write([&](store::WriteTxn& tx) -> Status {
      SP_ASSIGN_OR_RETURN(const bool may_mail, CountSystemMail(tx.platform(), email));
      if (!may_mail) return Status::Ok();
      return QueueMail(s_, tx.outbox(), SignUpAttemptMail(s_.config, email));
    });
  }

  SP_ASSIGN_OR_RETURN(NewMember member, BuildMember(email, request.password.view(),
                                                    std::move(display_name), UserState::kPending));
  const auth::BearerSecret token = auth::BearerSecret::Generate();
  store::TokenRecord token_record{
      token.Lookup(), store::TokenPurpose::kVerifyEmail, member.record.id,
      keys::WrapUmk(token.WrappingKey(), member.umk, keys::UmkSlot::kVerificationToken,
                    member.record.id),
      s_.clock.Now() + s_.config.verification_ttl};
  Status written = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    // Over the mail limit nothing changes: a pending sign-up keeps the link it was last mailed.
    SP_ASSIGN_OR_RETURN(const bool may_mail, CountSystemMail(tx.platform(), email));
    if (!may_mail) return Status::Ok();
    if (existing.ok())
      SP_RETURN_IF_ERROR(tx.accounts().DeleteUser(existing->id));  // replaces a pending one
    SP_RETURN_IF_ERROR(tx.accounts().CreateUser(member.record));
    SP_RETURN_IF_ERROR(tx.accounts().CreateToken(token_record));
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "account.signup", "ip:" + request.client_address,
                                   member.record.id.str()));
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "key.create", member.record.id.str(),
                                   member.record.id.str(), R"({"keys":["x25519","ed25519"]})"));
    return QueueMail(s_, tx.outbox(), AddressConfirmationMail(s_.config, email, token.Encode()));
  });
  // A concurrent sign-up for the same address won the race: same answer as "already taken".
  if (written.code() == ErrorCode::kConflict) return Status::Ok();
  return written;
}

Result<bool> Accounts::CountSystemMail(store::PlatformWriter& counters,
                                       const EmailAddress& to) const {
  SP_ASSIGN_OR_RETURN(const int64_t count, counters.BumpCounter("system-mail:" + to.str(),
                                                                s_.clock.Now(), kSystemMailWindow));
  return count <= s_.config.max_system_mails_per_address;
}

Result<VerifiedAccount> Accounts::VerifyEmail(std::string_view token_text) {
  auto token = auth::BearerSecret::Parse(token_text);
  if (!token.ok())
    return NotFound("this confirmation link is invalid or has expired").As(Reason::kLinkInvalid);
  Result<store::TokenRecord> consumed = NotFound("unset");
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    consumed = tx.accounts().ConsumeToken(token->Lookup(), store::TokenPurpose::kVerifyEmail,
                                          s_.clock.Now());
    return consumed.status().code() == ErrorCode::kNotFound ? Status::Ok() : consumed.status();
  }));
  if (!consumed.ok() || !consumed->user_id) {
    return NotFound("this confirmation link is invalid or has expired").As(Reason::kLinkInvalid);
  }
  SP_ASSIGN_OR_RETURN(store::UserRecord user, s_.store.accounts().GetUser(*consumed->user_id));
  SP_ASSIGN_OR_RETURN(const crypto::Umk umk,
                      keys::UnwrapUmk(token->WrappingKey(), consumed->payload,
                                      keys::UmkSlot::kVerificationToken, user.id));
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes code, AddRecoveryCode(user, umk));
  // Certified keys are made only now: a sign-up nobody confirms never gets a certificate.
  const std::optional<store::MemberKeysRecord> certified = TryMakeCertifiedKeys(s_, user, umk);
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().ActivateUser(user.id, user.recovery_salt, user.recovery_ops,
                                                  user.recovery_mem, user.umk_by_recovery));
    if (certified) SP_RETURN_IF_ERROR(StoreCertifiedKeys(s_, tx, *certified));
    return RecordEvent(s_, tx, "account.verified", user.id.str(), user.id.str());
  }));
  return VerifiedAccount{user.email, std::move(code)};
}

Status Accounts::RecordFailedLogin(const std::string& account, const std::string& client_address,
                                   const std::string& reason) const {
  nlohmann::json details = {{"reason", reason}};
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(s_.throttle.RecordFailure(tx.platform(), account, client_address));
    return RecordEvent(s_, tx, "auth.login_failed", "ip:" + client_address, account,
                       details.dump());
  });
}

namespace {

// Printable ASCII only (user agents are ASCII in practice), at most 256 characters: it is shown
// back to the member and must not carry markup-breaking control characters.
std::string SanitiseUserAgent(std::string_view ua) {
  std::string out;
  for (const char c : ua.substr(0, 256)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

SessionGrant Accounts::NewSession(const store::UserRecord& user, const crypto::Umk& umk,
                                  SessionKind kind, const std::string& client_address,
                                  std::string_view user_agent, store::SessionRecord& record) const {
  const auth::BearerSecret secret = auth::BearerSecret::Generate();
  const TimePoint now = s_.clock.Now();
  record.lookup = secret.Lookup();
  record.public_id = HexEncode(crypto::RandomBytes(kIdBytes));
  record.client_ip = client_address;
  record.user_agent = SanitiseUserAgent(user_agent);
  record.user_id = user.id;
  record.kind = kind;
  record.wrapped_umk = keys::WrapUmk(secret.WrappingKey(), umk, keys::UmkSlot::kSession, user.id);
  record.created_at = now;
  record.last_seen_at = now;
  record.expires_at = now + (kind == SessionKind::kLoginTicket ? s_.config.login_ticket_ttl
                                                               : s_.config.session_absolute);
  return SessionGrant{crypto::SecretString::TakeFrom(secret.Encode()), secret.CsrfToken(), kind,
                      record.expires_at, user};
}

Result<LoginResult> Accounts::Login(std::string_view email_text, std::string_view password,
                                    const std::string& client_address,
                                    std::string_view user_agent) {
  auto email = EmailAddress::Parse(email_text);
  // The throttle key for malformed input is the raw text, bounded in length.
  const std::string account =
      email.ok() ? email->str() : std::string(email_text.substr(0, EmailAddress::kMaxLength));
  SP_RETURN_IF_ERROR(s_.throttle.Check(account, client_address));
  if (password.size() > s_.config.limits.max_password_bytes) {
    SP_RETURN_IF_ERROR(RecordFailedLogin(account, client_address, "password too long"));
    return Unauthenticated(kWrongCredentials).As(Reason::kInvalidCredentials);
  }
  auto user = email.ok() ? s_.store.accounts().GetUserByEmail(email->str())
                         : Result<store::UserRecord>(NotFound("malformed address"));
  if (!user.ok() && user.status().code() != ErrorCode::kNotFound) return user.status();
  if (!user.ok() || user->state != UserState::kActive || user->disabled) {
    SpendEquivalentWork(password);
    SP_RETURN_IF_ERROR(RecordFailedLogin(account, client_address, "no active account"));
    return Unauthenticated(kWrongCredentials).As(Reason::kInvalidCredentials);
  }
  const crypto::PasswordHashParams params{user->password_ops,
                                          static_cast<size_t>(user->password_mem)};
  SP_ASSIGN_OR_RETURN(const crypto::Kek kek,
                      crypto::DeriveKeyFromPassword(password, user->password_salt, params));
  auto umk = keys::UnwrapUmk(kek, user->umk_by_password, keys::UmkSlot::kPassword, user->id);
  if (!umk.ok()) {
    SP_RETURN_IF_ERROR(RecordFailedLogin(account, client_address, "wrong password"));
    return Unauthenticated(kWrongCredentials).As(Reason::kInvalidCredentials);
  }

  LoginResult result;
  store::SessionRecord record;
  SessionGrant grant;
  std::string event;
  if (user->totp_enabled) {
    grant = NewSession(*user, *umk, SessionKind::kLoginTicket, client_address, user_agent, record);
    result.login_ticket = std::move(grant.cookie_value);
    event = "auth.password_ok";
  } else {
    grant =
        NewSession(*user, *umk, s_.config.require_totp ? SessionKind::kSetup : SessionKind::kFull,
                   client_address, user_agent, record);
    result.session = std::move(grant);
    event = "auth.login";
  }
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(s_.throttle.RecordSuccess(tx.platform(), account, client_address));
    SP_RETURN_IF_ERROR(tx.accounts().CreateSession(record));
    return RecordEvent(s_, tx, event, user->id.str(), user->id.str(),
                       nlohmann::json{{"client", client_address}}.dump());
  }));
  // The UMK is unlocked: a member from before certified keys (or whose keys could not be made)
  // gets them now.
  EnsureCertifiedKeys(s_, *user, *umk);
  return result;
}

Result<SessionGrant> Accounts::CompleteSecondFactor(std::string_view ticket_text,
                                                    std::string_view code,
                                                    const std::string& client_address,
                                                    std::string_view user_agent) {
  static constexpr const char* kExpired = "login has expired; start again with your password";
  auto ticket = auth::BearerSecret::Parse(ticket_text);
  if (!ticket.ok()) return Unauthenticated(kExpired).As(Reason::kLoginExpired);
  auto record = s_.store.accounts().GetSession(ticket->Lookup());
  if (!record.ok() || record->kind != SessionKind::kLoginTicket ||
      record->expires_at <= s_.clock.Now()) {
    return Unauthenticated(kExpired).As(Reason::kLoginExpired);
  }
  SP_ASSIGN_OR_RETURN(const store::UserRecord user, s_.store.accounts().GetUser(record->user_id));
  if (user.disabled) return Unauthenticated(kExpired).As(Reason::kLoginExpired);
  SP_RETURN_IF_ERROR(s_.throttle.Check(user.email, client_address));
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes totp_secret,
                      s_.master.Unwrap(user.totp_secret, TotpPurpose(user.id)));
  auto step = auth::MatchTotp(totp_secret.view(), code, s_.clock.Now());
  Status replay = Status::Ok();
  if (step.ok()) {
    replay = s_.store.Write(
        [&](store::WriteTxn& tx) { return tx.accounts().ConsumeTotpStep(user.id, *step); });
    if (!replay.ok() && replay.code() != ErrorCode::kConflict) return replay;
  }
  if (!step.ok() || !replay.ok()) {
    const std::string reason = step.ok() ? "one-time code replayed" : "wrong one-time code";
    SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
      SP_RETURN_IF_ERROR(s_.throttle.RecordFailure(tx.platform(), user.email, client_address));
      store::SessionRecord updated = *record;
      updated.failures += 1;
      if (updated.failures >= s_.config.max_second_factor_failures) {
        SP_RETURN_IF_ERROR(tx.accounts().DeleteSession(updated.lookup));
      } else {
        SP_RETURN_IF_ERROR(tx.accounts().UpdateSession(updated));
      }
      return RecordEvent(s_, tx, "auth.login_failed", "ip:" + client_address, user.id.str(),
                         nlohmann::json{{"reason", reason}}.dump());
    }));
    return Unauthenticated("wrong or already used one-time code").As(Reason::kInvalidOneTimeCode);
  }
  SP_ASSIGN_OR_RETURN(const crypto::Umk umk,
                      keys::UnwrapUmk(ticket->WrappingKey(), record->wrapped_umk,
                                      keys::UmkSlot::kSession, user.id));
  store::SessionRecord session;
  SessionGrant grant =
      NewSession(user, umk, SessionKind::kFull, client_address, user_agent, session);
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().DeleteSession(record->lookup));
    SP_RETURN_IF_ERROR(s_.throttle.RecordSuccess(tx.platform(), user.email, client_address));
    SP_RETURN_IF_ERROR(tx.accounts().CreateSession(session));
    return RecordEvent(
        s_, tx, "auth.login", user.id.str(), user.id.str(),
        nlohmann::json{{"client", client_address}, {"second_factor", "totp"}}.dump());
  }));
  return grant;
}

Result<AuthContext> Accounts::Authenticate(std::string_view cookie_value,
                                           const std::string& client_address) {
  static constexpr const char* kNoSession = "no valid session; log in again";
  auto secret = auth::BearerSecret::Parse(cookie_value);
  if (!secret.ok()) return Unauthenticated(kNoSession).As(Reason::kSessionRequired);
  // Every request asks: the session and its user come in one read.
  auto found = s_.store.accounts().GetSessionWithUser(secret->Lookup());
  if (!found.ok()) {
    if (found.status().code() == ErrorCode::kNotFound)
      return Unauthenticated(kNoSession).As(Reason::kSessionRequired);
    return found.status();
  }
  store::SessionRecord& record = found->session;
  store::UserRecord& user = found->user;
  const TimePoint now = s_.clock.Now();
  if (record.kind == SessionKind::kLoginTicket)
    return Unauthenticated(kNoSession).As(Reason::kSessionRequired);
  if (record.expires_at <= now || now - record.last_seen_at > s_.config.session_idle) {
    // Tidying only: the session is refused whether or not its row goes now (the periodic sweep
    // removes it otherwise), so a failed delete need not fail the request.
    (void)s_.store.Write(
        [&](store::WriteTxn& tx) { return tx.accounts().DeleteSession(record.lookup); });
    return Unauthenticated("session expired; log in again").As(Reason::kSessionRequired);
  }
  if (user.state != UserState::kActive || user.disabled)
    return Unauthenticated(kNoSession).As(Reason::kSessionRequired);
  auto umk =
      keys::UnwrapUmk(secret->WrappingKey(), record.wrapped_umk, keys::UmkSlot::kSession, user.id);
  if (!umk.ok()) return Unauthenticated(kNoSession).As(Reason::kSessionRequired);
  // Coarse "last seen" updates keep idle tracking without a write on every request.
  if (now - record.last_seen_at > std::chrono::seconds(60)) {
    record.last_seen_at = now;
    record.client_ip = client_address;
    SP_RETURN_IF_ERROR(
        s_.store.Write([&](store::WriteTxn& tx) { return tx.accounts().UpdateSession(record); }));
  }
  return AuthContext{std::move(user), std::move(record), std::move(*umk), client_address};
}

std::string Accounts::CsrfTokenFor(std::string_view cookie_value) const {
  auto secret = auth::BearerSecret::Parse(cookie_value);
  return secret.ok() ? secret->CsrfToken() : std::string();
}

Result<TotpEnrolment> Accounts::BeginTotp(const AuthContext& ctx) {
  if (ctx.user.totp_enabled) {
    return Conflict("two-factor authentication is already set up").ShownToClient();
  }
  const crypto::SecretBytes secret = crypto::RandomSecret(auth::kTotpSecretBytes);
  const Bytes wrapped = s_.master.Wrap(secret.view(), TotpPurpose(ctx.user.id));
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    return tx.accounts().SetTotp(ctx.user.id, wrapped, /*enabled=*/false);
  }));
  TotpEnrolment enrolment;
  enrolment.otpauth_uri = auth::OtpauthUri(s_.config.product_name, ctx.user.email, secret.view());
  SP_ASSIGN_OR_RETURN(enrolment.qr_svg, auth::QrCodeSvg(enrolment.otpauth_uri));
  return enrolment;
}

Status Accounts::ConfirmTotp(const AuthContext& ctx, std::string_view code) {
  SP_ASSIGN_OR_RETURN(const store::UserRecord user, s_.store.accounts().GetUser(ctx.user.id));
  if (user.totp_enabled) {
    return Conflict("two-factor authentication is already set up").ShownToClient();
  }
  if (user.totp_secret.empty()) return Conflict("start two-factor set-up first").ShownToClient();
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes secret,
                      s_.master.Unwrap(user.totp_secret, TotpPurpose(user.id)));
  auto step = auth::MatchTotp(secret.view(), code, s_.clock.Now());
  if (!step.ok()) {
    return InvalidArgument("wrong one-time code; check the clock of your device").ShownToClient();
  }
  return s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.accounts().ConsumeTotpStep(user.id, *step));
    SP_RETURN_IF_ERROR(tx.accounts().SetTotp(user.id, user.totp_secret, /*enabled=*/true));
    store::SessionRecord upgraded = ctx.session;
    upgraded.kind = SessionKind::kFull;
    SP_RETURN_IF_ERROR(tx.accounts().UpdateSession(upgraded));
    return RecordEvent(s_, tx, "auth.totp_enabled", user.id.str(), user.id.str());
  });
}

Status Accounts::Logout(const AuthContext& ctx) {
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().DeleteSession(ctx.session.lookup));
    return RecordEvent(s_, tx, "auth.logout", ctx.user.id.str(), ctx.user.id.str());
  });
}

Status Accounts::LogoutEverywhere(const AuthContext& ctx) {
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().DeleteSessionsOfUser(ctx.user.id));
    return RecordEvent(s_, tx, "auth.logout_everywhere", ctx.user.id.str(), ctx.user.id.str());
  });
}

Result<std::optional<std::string>> Accounts::CreateBootstrapTokenIfNeeded() {
  SP_ASSIGN_OR_RETURN(const bool has_admin, s_.store.accounts().HasActiveAdmin());
  if (has_admin) return std::optional<std::string>();
  const auth::BearerSecret token = auth::BearerSecret::Generate();
  store::TokenRecord record{token.Lookup(), store::TokenPurpose::kBootstrapAdmin, std::nullopt,
                            Bytes{}, s_.clock.Now() + std::chrono::hours(24)};
  SP_RETURN_IF_ERROR(
      s_.store.Write([&](store::WriteTxn& tx) { return tx.accounts().CreateToken(record); }));
  return std::optional<std::string>(token.Encode());
}

Result<Enrolment> Accounts::EnrolProvenAddress(
    const SignUpRequest& request, std::string_view user_agent,
    const std::function<Status(store::WriteTxn&, const store::UserRecord&)>& in_same_write) {
  SP_ASSIGN_OR_RETURN(const EmailAddress email, ParseClientEmail(request.email));
  SP_RETURN_IF_ERROR(ValidatePassword(request.password.view()));
  SP_ASSIGN_OR_RETURN(std::string display_name, ValidateDisplayName(request.display_name, email));
  auto existing = s_.store.accounts().GetUserByEmail(email.str());
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) {
    return existing.status();
  }
  if (existing.ok() && existing->state != UserState::kPending) {
    return Conflict("this address already has an account: log in instead")
        .ShownToClient(Reason::kAddressTaken);
  }
  SP_ASSIGN_OR_RETURN(NewMember member, BuildMember(email, request.password.view(),
                                                    std::move(display_name), UserState::kActive));
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes code, AddRecoveryCode(member.record, member.umk));
  const std::optional<store::MemberKeysRecord> certified =
      TryMakeCertifiedKeys(s_, member.record, member.umk);
  store::SessionRecord record;
  SessionGrant grant = NewSession(member.record, member.umk,
                                  s_.config.require_totp ? SessionKind::kSetup : SessionKind::kFull,
                                  request.client_address, user_agent, record);
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    // An unconfirmed sign-up for the address never proved it; this enrolment did.
    if (existing.ok()) SP_RETURN_IF_ERROR(tx.accounts().DeleteUser(existing->id));
    SP_RETURN_IF_ERROR(tx.accounts().CreateUser(member.record));
    SP_RETURN_IF_ERROR(tx.accounts().CreateSession(record));
    if (certified) SP_RETURN_IF_ERROR(StoreCertifiedKeys(s_, tx, *certified));
    SP_RETURN_IF_ERROR(in_same_write(tx, member.record));
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "user.enrol_guest", "ip:" + request.client_address,
                                   member.record.id.str()));
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "key.create", member.record.id.str(),
                                   member.record.id.str(), R"({"keys":["x25519","ed25519"]})"));
    return RecordEvent(s_, tx, "auth.login", member.record.id.str(), member.record.id.str(),
                       nlohmann::json{{"client", request.client_address}}.dump());
  }));
  return Enrolment{VerifiedAccount{member.record.email, std::move(code)}, std::move(grant)};
}

Result<VerifiedAccount> Accounts::BootstrapAdmin(std::string_view token_text,
                                                 const SignUpRequest& request) {
  SP_ASSIGN_OR_RETURN(const EmailAddress email, ParseClientEmail(request.email));
  SP_RETURN_IF_ERROR(ValidatePassword(request.password.view()));
  SP_ASSIGN_OR_RETURN(std::string display_name, ValidateDisplayName(request.display_name, email));
  auto token = auth::BearerSecret::Parse(token_text);
  if (!token.ok())
    return NotFound("this set-up link is invalid or has expired").As(Reason::kLinkInvalid);
  SP_ASSIGN_OR_RETURN(NewMember member, BuildMember(email, request.password.view(),
                                                    std::move(display_name), UserState::kActive));
  member.record.is_admin = true;
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes code, AddRecoveryCode(member.record, member.umk));
  const std::optional<store::MemberKeysRecord> certified =
      TryMakeCertifiedKeys(s_, member.record, member.umk);
  Status written = s_.store.Write([&](store::WriteTxn& tx) -> Status {
    auto consumed = tx.accounts().ConsumeToken(
        token->Lookup(), store::TokenPurpose::kBootstrapAdmin, s_.clock.Now());
    if (!consumed.ok())
      return NotFound("this set-up link is invalid or has expired").As(Reason::kLinkInvalid);
    SP_RETURN_IF_ERROR(tx.accounts().CreateUser(member.record));
    SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "admin.bootstrap", "ip:" + request.client_address,
                                   member.record.id.str()));
    if (certified) SP_RETURN_IF_ERROR(StoreCertifiedKeys(s_, tx, *certified));
    return RecordEvent(s_, tx, "key.create", member.record.id.str(), member.record.id.str(),
                       R"({"keys":["x25519","ed25519"]})");
  });
  SP_RETURN_IF_ERROR(written);
  return VerifiedAccount{member.record.email, std::move(code)};
}

}  // namespace sealpost::app
