// API tokens for integrations (docs/roles.md): a member creates a bearer token scoped to one of
// their roles, with a name and an expiry; the secret is shown once and only a one-way lookup of
// it is kept (auth/bearer_secret.h). A token authenticates `Authorization: Bearer spt_…` on the
// routes that take a Caller (app/access.h: the administration and audit APIs) and acts with its
// role only while its member still holds that role. It unwraps no key: it cannot read messages
// (zero access is unchanged), and the message routes, which need a session, refuse it.
//
// SECURITY: names, roles, lifetimes, public ids and presented tokens are untrusted input. A
// presented token is looked up by its derived lookup and the stored lookup compared again in
// constant time; every failure (malformed, unknown, revoked, expired, member disabled) is the
// same Unauthenticated. Creation and revocation are audited in the same transaction. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/access.h"
#include "app/auth_context.h"
#include "app/services.h"
#include "crypto/secret_string.h"
#include "store/access_store.h"

namespace sealpost::app {

// The prefix that makes a leaked token easy to recognise (secret scanners, logs).
inline constexpr std::string_view kApiTokenPrefix = "spt_";

struct ApiTokenLimits {
  int max_per_member = 20;
  size_t max_name_chars = 64;
  int64_t max_lifetime_days = 365;
};

struct CreatedApiToken {
  crypto::SecretString secret;  // "spt_" + 43 base64url characters; shown once
  store::ApiTokenRecord record;
};

class ApiTokens final {
 public:
  explicit ApiTokens(const Services& services, ApiTokenLimits limits = {})
      : s_(services), limits_(limits), access_(s_.store) {}

  // `role` (app/access.h RoleName) must be one the member holds (over any domain) and not
  // "member": PermissionDenied otherwise. InvalidArgument for an empty, over-long or
  // non-printable name or a lifetime outside 1..max_lifetime_days; Conflict past max_per_member.
  Result<CreatedApiToken> Create(const AuthContext& ctx, std::string_view name,
                                 std::string_view role, int64_t expires_in_days);
  // The member's tokens, expired ones included, newest first (no secrets: there are none kept).
  Result<std::vector<store::ApiTokenRecord>> List(const AuthContext& ctx);
  // NotFound when the member has no token with this public id.
  Status Revoke(const AuthContext& ctx, std::string_view public_id);

  // The caller a presented token stands for (the text after "Bearer "); Unauthenticated for any
  // token that is not live. Notes the use (coarsely: at most once a minute per token).
  Result<Caller> Authenticate(std::string_view presented, const std::string& client_address);

 private:
  Services s_;
  ApiTokenLimits limits_;
  Access access_;
};

}  // namespace sealpost::app
