#include "app/app_passwords.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "auth/app_password_secret.h"
#include "core/address.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "crypto/random.h"
#include "keys/member_keys.h"

namespace sealpost::app {
namespace {

constexpr const char* kWrongCredentials = "wrong email address or app password";
// How often a password's "last used" is written at most (each write is a store commit; a mail
// program may log in for every message).
constexpr auto kTouchInterval = std::chrono::seconds(60);

Status CheckName(std::string_view name, size_t max_chars) {
  const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;  // UTF-8 beyond ASCII is welcome; controls are not
  });
  if (name.empty() || name.size() > max_chars || !printable) {
    return InvalidArgument(fmt::format("name must be 1 to {} printable characters", max_chars))
        .ShownToClient();
  }
  return Status::Ok();
}

AppPasswordInfo InfoOf(const store::AppPasswordRecord& r) {
  return {r.id, r.name, r.created_at, r.last_used_at};
}

Status WrongCredentials() {
  return Unauthenticated(kWrongCredentials).As(Reason::kInvalidCredentials);
}

// "https://mail.example:8443/x" → "mail.example"; "https://[::1]:8443" → "::1".
std::string HostOfUrl(std::string_view url) {
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (url.starts_with('[')) return std::string(url.substr(1, url.find(']') - 1));
  return std::string(url.substr(0, url.find(':')));
}

}  // namespace

AppPasswords::AppPasswords(const Services& services, AppPasswordLimits limits,
                           MailProgramSettings mail)
    : s_(services), limits_(limits), mail_(std::move(mail)) {
  if (mail_.host.empty()) mail_.host = HostOfUrl(s_.config.public_url);
}

Result<CreatedAppPassword> AppPasswords::Create(const AuthContext& ctx, std::string_view name) {
  SP_RETURN_IF_ERROR(CheckName(name, limits_.max_name_chars));
  const auth::AppPasswordSecret secret = auth::AppPasswordSecret::Generate();
  store::AppPasswordRecord record;
  record.id = HexEncode(crypto::RandomBytes(kIdBytes));
  record.lookup = secret.Lookup();
  record.user_id = ctx.user.id;
  record.name = std::string(name);
  record.wrapped_umk =
      keys::WrapUmk(secret.WrappingKey(), ctx.umk, keys::UmkSlot::kAppPassword, ctx.user.id);
  record.created_at = s_.clock.Now();

  const nlohmann::json details = {{"app_password", record.id}, {"client", ctx.client_address}};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    // Counted inside the write, so two creations at once cannot pass the limit together.
    SP_ASSIGN_OR_RETURN(const int64_t live,
                        tx.app_passwords().CountLiveAppPasswordsOfUser(ctx.user.id));
    if (live >= limits_.max_per_member) {
      return Conflict(fmt::format("at most {} app passwords per member; revoke one first",
                                  limits_.max_per_member))
          .ShownToClient();
    }
    SP_RETURN_IF_ERROR(
        tx.app_passwords().PruneRevokedAppPasswords(ctx.user.id, limits_.keep_revoked));
    SP_RETURN_IF_ERROR(tx.app_passwords().CreateAppPassword(record));
    return RecordEvent(s_, tx, "app_password_created", ctx.user.id.str(), ctx.user.id.str(),
                       details.dump());
  }));
  return CreatedAppPassword{InfoOf(record), secret.Display()};
}

Result<std::vector<AppPasswordInfo>> AppPasswords::List(const AuthContext& ctx) {
  SP_ASSIGN_OR_RETURN(const auto records,
                      s_.store.app_passwords().ListAppPasswordsOfUser(ctx.user.id));
  std::vector<AppPasswordInfo> out;
  for (const store::AppPasswordRecord& r : records) {
    if (r.live()) out.push_back(InfoOf(r));
  }
  return out;
}

Status AppPasswords::Revoke(const AuthContext& ctx, std::string_view id) {
  if (!IsWellFormedId(id)) return NotFound("app password not found");
  const nlohmann::json details = {{"app_password", std::string(id)},
                                  {"client", ctx.client_address}};
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(
        tx.app_passwords().RevokeAppPassword(ctx.user.id, std::string(id), s_.clock.Now()));
    return RecordEvent(s_, tx, "app_password_revoked", ctx.user.id.str(), ctx.user.id.str(),
                       details.dump());
  });
}

Status AppPasswords::StillLive(const AuthContext& ctx) {
  SP_ASSIGN_OR_RETURN(const auto records,
                      s_.store.app_passwords().ListAppPasswordsOfUser(ctx.user.id));
  const bool live = std::any_of(records.begin(), records.end(), [&](const auto& r) {
    return r.id == ctx.session.public_id && r.live();
  });
  if (!live) return WrongCredentials();
  auto user = s_.store.accounts().GetUser(ctx.user.id);
  if (!user.ok() && user.status().code() != ErrorCode::kNotFound) return user.status();
  if (!user.ok() || user->state != store::UserState::kActive || user->disabled) {
    return WrongCredentials();
  }
  return Status::Ok();
}

Status AppPasswords::RecordFailure(const std::string& account, const std::string& client_address,
                                   std::string_view reason) const {
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(s_.throttle.RecordFailure(tx.platform(), account, client_address));
    return RecordEvent(s_, tx, "app_password_auth_failed", "ip:" + client_address, account,
                       nlohmann::json{{"reason", reason}, {"client", client_address}}.dump());
  });
}

Result<AuthContext> AppPasswords::Authenticate(std::string_view email_text,
                                               const crypto::SecretString& password,
                                               std::string_view client_address_view) {
  const std::string client_address(client_address_view);
  auto email = EmailAddress::Parse(email_text);
  // The throttle key for malformed input is the raw text, bounded in length (as for log-ins).
  const std::string account =
      email.ok() ? email->str() : std::string(email_text.substr(0, EmailAddress::kMaxLength));
  SP_RETURN_IF_ERROR(s_.throttle.Check(account, client_address));

  auto secret = auth::AppPasswordSecret::Parse(password.view());
  if (!email.ok() || !secret.ok()) {
    SP_RETURN_IF_ERROR(RecordFailure(account, client_address, "malformed"));
    return WrongCredentials();
  }
  const std::string lookup = secret->Lookup();
  auto record = s_.store.app_passwords().GetAppPasswordByLookup(lookup);
  if (!record.ok() && record.status().code() != ErrorCode::kNotFound) return record.status();
  // The index found it by equality; compare again in constant time so that no shortcut in a
  // backend's comparison can matter.
  if (!record.ok() || !crypto::ConstantTimeEquals(AsBytes(record->lookup), AsBytes(lookup))) {
    SP_RETURN_IF_ERROR(RecordFailure(account, client_address, "unknown app password"));
    return WrongCredentials();
  }
  if (!record->live()) {
    SP_RETURN_IF_ERROR(RecordFailure(account, client_address, "revoked app password"));
    return WrongCredentials();
  }
  auto user = s_.store.accounts().GetUser(record->user_id);
  if (!user.ok() && user.status().code() != ErrorCode::kNotFound) return user.status();
  if (!user.ok() || user->email != email->str()) {
    SP_RETURN_IF_ERROR(RecordFailure(account, client_address, "another member's app password"));
    return WrongCredentials();
  }
  if (user->state != store::UserState::kActive || user->disabled) {
    SP_RETURN_IF_ERROR(RecordFailure(account, client_address, "no active account"));
    return WrongCredentials();
  }
  auto umk = keys::UnwrapUmk(secret->WrappingKey(), record->wrapped_umk,
                             keys::UmkSlot::kAppPassword, user->id);
  if (!umk.ok()) {
    SP_RETURN_IF_ERROR(RecordFailure(account, client_address, "slot does not open"));
    return WrongCredentials();
  }

  const TimePoint now = s_.clock.Now();
  if (!record->last_used_at || now - *record->last_used_at >= kTouchInterval) {
    // Bookkeeping, coarse on purpose: the use is noted and this client's slips are forgiven at
    // most once a minute per password. A password revoked meanwhile fails the write, and so this
    // log-in: revocation is immediate.
    const Status noted = s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(tx.app_passwords().TouchAppPassword(lookup, now));
      return s_.throttle.RecordSuccess(tx.platform(), account, client_address);
    });
    if (noted.code() == ErrorCode::kNotFound) return WrongCredentials();
    SP_RETURN_IF_ERROR(noted);
  }

  store::SessionRecord session;
  session.user_id = user->id;
  session.kind = store::SessionKind::kFull;
  session.public_id = record->id;
  session.created_at = record->created_at;
  session.last_seen_at = now;
  session.expires_at = now + s_.config.session_idle;
  session.client_ip = client_address;
  session.user_agent = "app password: " + record->name;
  return AuthContext{std::move(*user), std::move(session), std::move(*umk), client_address};
}

}  // namespace sealpost::app
