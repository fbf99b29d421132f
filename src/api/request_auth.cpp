#include "api/request_auth.h"

#include <algorithm>
#include <cctype>
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
  const auto fail = [](Status status) {
    http::Response r = ApiError(status);
    // A cookie that opens no session is dropped, so the browser stops sending it.
    if (status.reason() == Reason::kSessionRequired) ClearSessionCookie(r);
    return SessionOrError{std::nullopt, std::move(r), std::move(status)};
  };
  const auto cookie = request.Cookie(kSessionCookie);
  if (!cookie) return fail(Unauthenticated("no session cookie").As(Reason::kSessionRequired));
  auto ctx = accounts.Authenticate(*cookie, request.remote_address);
  if (!ctx.ok()) return fail(ctx.status());
  if (IsUnsafe(request.method)) {
    const std::string expected = accounts.CsrfTokenFor(*cookie);
    const auto sent = request.Header(kCsrfHeader);
    if (!sent || !crypto::ConstantTimeEquals(AsBytes(*sent), AsBytes(expected))) {
      return fail(PermissionDenied("missing or wrong CSRF token").As(Reason::kCsrfFailed));
    }
  }
  if (need == SessionNeed::kFull && ctx->session.kind != store::SessionKind::kFull) {
    return fail(PermissionDenied("session limited to TOTP set-up").As(Reason::kTotpSetupRequired));
  }
  return {std::move(*ctx), {}, Status::Ok()};
}

CallerOrError RequireCaller(app::Accounts& accounts, app::ApiTokens* tokens,
                            const http::Request& request) {
  if (const auto header = request.Header("Authorization")) {
    constexpr std::string_view kScheme = "bearer ";
    const bool bearer =
        header->size() > kScheme.size() &&
        std::equal(kScheme.begin(), kScheme.end(), header->begin(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
    Result<app::Caller> caller =
        bearer && tokens != nullptr
            ? tokens->Authenticate(header->substr(kScheme.size()), request.remote_address)
            : Result<app::Caller>(
                  Unauthenticated("a bearer API token is required").ShownToClient());
    if (!caller.ok()) {
      http::Response r = ApiError(caller.status());
      r.SetHeader("WWW-Authenticate", "Bearer");
      return {std::nullopt, std::move(r)};
    }
    return {std::move(*caller), {}};
  }
  auto auth = RequireSession(accounts, request, SessionNeed::kFull);
  if (!auth.ctx) return {std::nullopt, std::move(auth.error)};
  return {app::Caller(*auth.ctx), {}};
}

void SetSessionCookie(http::Response& response, const app::SessionGrant& grant) {
  response.AddHeader("Set-Cookie", fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
                                               kSessionCookie, grant.cookie_value.view()));
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

http::Response ApiError(const Status& status) { return http::ProblemFromStatus(status); }

Result<std::optional<int64_t>> IntQueryParam(const http::Request& request, std::string_view name) {
  const auto text = request.QueryParam(name);
  if (!text) return std::optional<int64_t>();
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) {
    return InvalidArgument(fmt::format("{} must be a number", name)).ShownToClient();
  }
  return std::optional<int64_t>(value);
}

std::string_view UserAgent(const http::Request& request) {
  return request.Header("User-Agent").value_or(std::string_view());
}

std::optional<http::Response> RequireJsonContent(const http::Request& request) {
  const auto type = request.Header("Content-Type");
  if (!type || type->substr(0, 16) != "application/json") {
    return http::ProblemFor(Reason::kUnsupportedMediaType);
  }
  return std::nullopt;
}

}  // namespace sealpost::api
