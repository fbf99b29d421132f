#include "api/request_auth.h"

#include <charconv>

#include <fmt/format.h>

#include "core/time.h"
#include "crypto/secret_bytes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

bool IsUnsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

SessionOrError RequireSession(app::Accounts& accounts, const http::Request& request,
                              SessionNeed need) {
  const auto cookie = request.Cookie(kSessionCookie);
  if (!cookie) {
    return {std::nullopt,
            http::Problem(401, "session-required", "Log in first", "this request needs a session")};
  }
  auto ctx = accounts.Authenticate(*cookie, request.remote_address);
  if (!ctx.ok()) {
    if (ctx.status().code() == ErrorCode::kUnauthenticated) {
      http::Response r =
          http::Problem(401, "session-required", "Log in first", ctx.status().message());
      ClearSessionCookie(r);
      return {std::nullopt, std::move(r)};
    }
    return {std::nullopt, AuthError(ctx.status())};
  }
  if (IsUnsafe(request.method)) {
    const std::string expected = accounts.CsrfTokenFor(*cookie);
    const auto sent = request.Header(kCsrfHeader);
    if (!sent || !crypto::ConstantTimeEquals(AsBytes(*sent), AsBytes(expected))) {
      return {std::nullopt, http::Problem(403, "csrf-failed", "Missing or wrong CSRF token",
                                          "send the session's csrf_token in X-CSRF-Token")};
    }
  }
  if (need == SessionNeed::kFull && ctx->session.kind != store::SessionKind::kFull) {
    return {std::nullopt,
            http::Problem(403, "totp-setup-required", "Set up two-factor authentication first",
                          "POST /api/v1/account/totp, then /api/v1/account/totp/confirm")};
  }
  return {std::move(*ctx), {}};
}

void SetSessionCookie(http::Response& response, const app::SessionGrant& grant) {
  response.AddHeader("Set-Cookie", fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
                                               kSessionCookie, grant.cookie_value));
}

nlohmann::json UserJson(const store::UserRecord& u) {
  return {{"id", u.id.str()},
          {"email", u.email},
          {"display_name", u.display_name},
          {"is_admin", u.is_admin},
          {"totp_enabled", u.totp_enabled}};
}

const char* SessionStatus(store::SessionKind kind) {
  return kind == store::SessionKind::kFull ? "active" : "totp_setup_required";
}

http::Response SessionResponse(const app::SessionGrant& grant, int status) {
  http::Response r =
      http::Response::Json(status, nlohmann::json{{"status", SessionStatus(grant.kind)},
                                                  {"csrf_token", grant.csrf_token},
                                                  {"expires_at", FormatRfc3339(grant.expires_at)},
                                                  {"user", UserJson(grant.user)}}
                                       .dump());
  SetSessionCookie(r, grant);
  return r;
}

void ClearSessionCookie(http::Response& response) {
  response.AddHeader("Set-Cookie", fmt::format("{}=; Path=/; Secure; HttpOnly; SameSite=Strict; "
                                               "Max-Age=0",
                                               kSessionCookie));
}

http::Response AuthError(const Status& status) {
  if (status.code() == ErrorCode::kResourceExhausted) {
    http::Response r =
        http::Problem(429, "too-many-attempts", "Too many failed attempts", status.message());
    r.SetHeader("Retry-After", "900");
    return r;
  }
  if (status.code() == ErrorCode::kUnauthenticated) {
    return http::Problem(401, "invalid-credentials", "Not authenticated", status.message());
  }
  return ApiError(status);
}

http::Response ApiError(const Status& status) { return http::ProblemFromStatus(status); }

Result<std::optional<int64_t>> IntQueryParam(const http::Request& request, std::string_view name) {
  const auto text = request.QueryParam(name);
  if (!text) return std::optional<int64_t>();
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) {
    return InvalidArgument(fmt::format("{} must be a number", name));
  }
  return std::optional<int64_t>(value);
}

std::string_view UserAgent(const http::Request& request) {
  return request.Header("User-Agent").value_or(std::string_view());
}

std::optional<http::Response> RequireJsonContent(const http::Request& request) {
  const auto type = request.Header("Content-Type");
  if (!type || type->substr(0, 16) != "application/json") {
    return http::Problem(415, "unsupported-media-type", "Send JSON",
                         "Content-Type must be application/json");
  }
  return std::nullopt;
}

}  // namespace sealpost::api
