#include "app/api_tokens.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "auth/bearer_secret.h"
#include "core/encoding.h"
#include "core/time.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace sealpost::app {
namespace {

constexpr const char* kNotLive = "invalid, expired or revoked API token";

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

}  // namespace

Result<CreatedApiToken> ApiTokens::Create(const AuthContext& ctx, std::string_view name,
                                          std::string_view role_name, int64_t expires_in_days) {
  SP_RETURN_IF_ERROR(CheckName(name, limits_.max_name_chars));
  if (expires_in_days < 1 || expires_in_days > limits_.max_lifetime_days) {
    return InvalidArgument(
               fmt::format("expires_in_days must be between 1 and {}", limits_.max_lifetime_days))
        .ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(const Role role, ParseRole(role_name));
  if (role == Role::kMember) {
    return InvalidArgument("a token needs a role beyond member").ShownToClient();
  }
  // Only a role the member holds: a token never widens what its member may do.
  const Caller as_role(ctx.user, role, ctx.client_address);
  SP_ASSIGN_OR_RETURN(const auto grants, access_.GrantsOf(as_role));
  if (grants.empty()) {
    return PermissionDenied(fmt::format("you do not hold the role {}", RoleName(role)))
        .ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(const auto existing, s_.store.access().ListApiTokensOfUser(ctx.user.id));
  if (existing.size() >= static_cast<size_t>(limits_.max_per_member)) {
    return Conflict(fmt::format("at most {} API tokens per member; revoke one first",
                                limits_.max_per_member))
        .ShownToClient();
  }

  const auth::BearerSecret secret = auth::BearerSecret::Generate();
  CreatedApiToken out;
  out.record.public_id = HexEncode(crypto::RandomBytes(12));
  out.record.lookup = secret.Lookup();
  out.record.user_id = ctx.user.id;
  out.record.name = std::string(name);
  out.record.role = role;
  out.record.created_at = s_.clock.Now();
  out.record.expires_at = out.record.created_at + std::chrono::hours(24) * expires_in_days;
  std::string encoded = std::string(kApiTokenPrefix) + secret.Encode();
  out.secret = crypto::SecretString::TakeFrom(encoded);

  const nlohmann::json details = {{"api_token", out.record.public_id},
                                  {"role", RoleName(role)},
                                  {"expires_at", FormatRfc3339(out.record.expires_at)}};
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.access().CreateApiToken(out.record));
    return RecordEvent(s_, tx, "api_token_created", ctx.user.id.str(), ctx.user.id.str(),
                       details.dump());
  }));
  return out;
}

Result<std::vector<store::ApiTokenRecord>> ApiTokens::List(const AuthContext& ctx) {
  return s_.store.access().ListApiTokensOfUser(ctx.user.id);
}

Status ApiTokens::Revoke(const AuthContext& ctx, std::string_view public_id) {
  // Public ids are 24 hex digits; anything else names no token.
  if (public_id.size() != 24 || !HexDecode(public_id).ok()) return NotFound("API token not found");
  const nlohmann::json details = {{"api_token", std::string(public_id)}};
  return s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.access().DeleteApiToken(ctx.user.id, std::string(public_id)));
    return RecordEvent(s_, tx, "api_token_revoked", ctx.user.id.str(), ctx.user.id.str(),
                       details.dump());
  });
}

Result<Caller> ApiTokens::Authenticate(std::string_view presented,
                                       const std::string& client_address) {
  if (!presented.starts_with(kApiTokenPrefix)) return Unauthenticated(kNotLive).ShownToClient();
  auto secret = auth::BearerSecret::Parse(presented.substr(kApiTokenPrefix.size()));
  if (!secret.ok()) return Unauthenticated(kNotLive).ShownToClient();
  const std::string lookup = secret->Lookup();
  auto token = s_.store.access().GetApiToken(lookup);
  if (!token.ok()) {
    if (token.status().code() == ErrorCode::kNotFound) {
      return Unauthenticated(kNotLive).ShownToClient();
    }
    return token.status();
  }
  // The index found it by equality; compare again in constant time so that no shortcut in a
  // backend's comparison can matter.
  if (!crypto::ConstantTimeEquals(AsBytes(token->lookup), AsBytes(lookup))) {
    return Unauthenticated(kNotLive).ShownToClient();
  }
  const TimePoint now = s_.clock.Now();
  if (token->expires_at <= now) return Unauthenticated(kNotLive).ShownToClient();
  auto user = s_.store.accounts().GetUser(token->user_id);
  if (!user.ok() || user->state != store::UserState::kActive || user->disabled) {
    return Unauthenticated(kNotLive).ShownToClient();
  }
  if (!token->last_used_at || now - *token->last_used_at > std::chrono::seconds(60)) {
    // Noting the use is bookkeeping: a failure (revoked meanwhile) does not fail this request.
    (void)s_.store.Write(
        [&](store::WriteTxn& tx) { return tx.access().TouchApiToken(lookup, now); });
  }
  Caller caller(std::move(*user), token->role, client_address);
  caller.token_id = token->public_id;
  return caller;
}

}  // namespace sealpost::app
