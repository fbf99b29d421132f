// Session cookies, CSRF checks and error answers shared by the API handlers.
#pragma once

#include <nlohmann/json.hpp>

#include "app/access.h"
#include "app/accounts.h"
#include "app/api_tokens.h"
#include "http/request.h"
#include "http/response.h"

namespace sealpost::api {

// "__Host-" makes browsers insist on Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
inline constexpr std::string_view kSessionCookie = "__Host-sealpost_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

enum class SessionNeed { kFull, kSetupAllowed };

// Resolves the session cookie; for unsafe methods also checks the CSRF header in constant time.
// Errors come as a ready-to-send problem response (which drops a dead session cookie) and as the
// Status it was made from (for handlers that answer with a Status, such as upload begins).
struct SessionOrError {
  std::optional<app::AuthContext> ctx;
  http::Response error;
  Status status;
};
SessionOrError RequireSession(app::Accounts& accounts, const http::Request& request,
                              SessionNeed need);

// For the administration and audit routes, which also serve integrations: an API token
// (`Authorization: Bearer spt_…`, app/api_tokens.h; no CSRF check, as no browser sends it by
// itself) or else a full session as RequireSession checks it. A request that carries an
// Authorization header is judged by it alone. Errors as ready-to-send problems (401 with
// WWW-Authenticate: Bearer for a bad token). `tokens` null: bearer tokens are refused.
//
// SECURITY: the header is untrusted; the token is never logged or echoed.
struct CallerOrError {
  std::optional<app::Caller> caller;
  http::Response error;
};
CallerOrError RequireCaller(app::Accounts& accounts, app::ApiTokens* tokens,
                            const http::Request& request);

void SetSessionCookie(http::Response& response, const app::SessionGrant& grant);
// {id, email, display_name, is_admin, totp_enabled}
nlohmann::json UserJson(const store::UserRecord& user);
// "active", or "totp_setup_required" for a session limited to TOTP set-up.
const char* SessionStatus(store::SessionKind kind);
// `status` with {status, csrf_token, expires_at, user} and the session cookie set.
http::Response SessionResponse(const app::SessionGrant& grant, int status = 200);
void ClearSessionCookie(http::Response& response);

// Status → problem (http/problem.h): the status's reason or code picks type and HTTP status.
http::Response ApiError(const Status& status);
// Optional integer query parameter: absent → nullopt; present but not a decimal integer →
// InvalidArgument naming it.
Result<std::optional<int64_t>> IntQueryParam(const http::Request& request, std::string_view name);

// The User-Agent header, or empty (app/ bounds and sanitises it).
std::string_view UserAgent(const http::Request& request);

// 415 unless the request declares a JSON body (also blocks cross-site form posts).
std::optional<http::Response> RequireJsonContent(const http::Request& request);

}  // namespace sealpost::api
