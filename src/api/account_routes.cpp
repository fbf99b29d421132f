// /api/v1 routes for enrolment, sessions and two-factor set-up.
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

app::SignUpRequest SignUpFrom(RequestJson& body, const http::Request& request) {
  return {StringField(body, "email"), SecretField(body, "password"),
          StringField(body, "display_name"), request.remote_address};
}

}  // namespace

void RegisterAccountRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  const http::RouteOptions json_opts{deps.max_json_bytes};

  router.Add(
      "POST", "/api/v1/accounts",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto body = ParseJsonObject(req.body, {{"email", JsonType::kString},
                                               {"password", JsonType::kString},
                                               {"display_name", JsonType::kString, false}});
        if (!body.ok()) return ApiError(body.status());
        const Status s = accounts.SignUp(SignUpFrom(*body, req));
        if (!s.ok()) return ApiError(s);
        return http::Response::Json(
            202,
            json{{"status", "verification_sent"},
                 {"detail", "If the address can be enrolled, a confirmation link is on its way."}}
                .dump());
      },
      json_opts);

  router.Add(
      "POST", "/api/v1/accounts/verify",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto body = ParseJsonObject(req.body, {{"token", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        auto verified = accounts.VerifyEmail(StringField(*body, "token"));
        if (!verified.ok()) return ApiError(verified.status());
        return http::Response::Json(
            200, json{{"email", verified->email},
                      {"recovery_code", std::string(verified->recovery_code.AsStringView())}}
                     .dump());
      },
      json_opts);

  router.Add(
      "POST", "/api/v1/setup/admin",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto body = ParseJsonObject(req.body, {{"token", JsonType::kString},
                                               {"email", JsonType::kString},
                                               {"password", JsonType::kString},
                                               {"display_name", JsonType::kString, false}});
        if (!body.ok()) return ApiError(body.status());
        auto created = accounts.BootstrapAdmin(StringField(*body, "token"), SignUpFrom(*body, req));
        if (!created.ok()) return ApiError(created.status());
        return http::Response::Json(
            201, json{{"email", created->email},
                      {"recovery_code", std::string(created->recovery_code.AsStringView())}}
                     .dump());
      },
      json_opts);

  router.Add(
      "POST", "/api/v1/session",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto body = ParseJsonObject(
            req.body, {{"email", JsonType::kString}, {"password", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        const crypto::SecretString password = SecretField(*body, "password");
        auto result = accounts.Login(StringField(*body, "email"), password.view(),
                                     req.remote_address, UserAgent(req));
        if (!result.ok()) return ApiError(result.status());
        if (result->login_ticket) {
          return http::Response::Json(
              200, json{{"status", "totp_required"}, {"login_ticket", result->login_ticket->view()}}
                       .dump());
        }
        return SessionResponse(*result->session);
      },
      json_opts);

  router.Add(
      "POST", "/api/v1/session/totp",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto body = ParseJsonObject(
            req.body, {{"login_ticket", JsonType::kString}, {"code", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        const crypto::SecretString ticket = SecretField(*body, "login_ticket");
        auto grant = accounts.CompleteSecondFactor(ticket.view(), StringField(*body, "code"),
                                                   req.remote_address, UserAgent(req));
        if (!grant.ok()) return ApiError(grant.status());
        return SessionResponse(*grant);
      },
      json_opts);

  router.Add("GET", "/api/v1/session",
             [&accounts](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kSetupAllowed);
               if (!auth.ctx) return std::move(auth.error);
               const app::AuthContext& ctx = *auth.ctx;
               return http::Response::Json(
                   200, json{{"status", SessionStatus(ctx.session.kind)},
                             {"csrf_token", accounts.CsrfTokenFor(*req.Cookie(kSessionCookie))},
                             {"expires_at", FormatRfc3339(ctx.session.expires_at)},
                             {"user", UserJson(ctx.user)}}
                            .dump());
             });

  router.Add("DELETE", "/api/v1/session",
             [&accounts](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kSetupAllowed);
               if (!auth.ctx) return std::move(auth.error);
               if (Status s = accounts.Logout(*auth.ctx); !s.ok()) return ApiError(s);
               http::Response r;
               r.status = 204;
               ClearSessionCookie(r);
               return r;
             });

  router.Add("DELETE", "/api/v1/sessions",
             [&accounts](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kSetupAllowed);
               if (!auth.ctx) return std::move(auth.error);
               if (Status s = accounts.LogoutEverywhere(*auth.ctx); !s.ok()) return ApiError(s);
               http::Response r;
               r.status = 204;
               ClearSessionCookie(r);
               return r;
             });

  router.Add("GET", "/api/v1/account",
             [&accounts, &mailbox = deps.mailbox, &sent = deps.sent](const http::Request& req,
                                                                     const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kSetupAllowed);
               if (!auth.ctx) return std::move(auth.error);
               const store::UserRecord& u = auth.ctx->user;
               const app::Limits& l = mailbox.limits();
               const app::ExpiryLimits expiry = sent.expiry_limits();
               return http::Response::Json(200, json{{"email", u.email},
                                                     {"role", u.is_admin ? "admin" : "member"},
                                                     {"totp_enabled", u.totp_enabled},
                                                     {"created_at", FormatRfc3339(u.created_at)},
                                                     {"limits",
                                                      {{"max_upload_bytes", l.max_upload_bytes},
                                                       {"max_attachments", l.max_attachments},
                                                       {"max_recipients", l.max_recipients},
                                                       {"max_subject_bytes", l.max_subject_bytes},
                                                       {"default_expiry_days", expiry.default_days},
                                                       {"max_expiry_days", expiry.max_days}}}}
                                                    .dump());
             });

  router.Add(
      "POST", "/api/v1/account/password",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"current_password", JsonType::kString},
                                               {"new_password", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        const crypto::SecretString current = SecretField(*body, "current_password");
        const crypto::SecretString updated = SecretField(*body, "new_password");
        const Status s = accounts.ChangePassword(*auth.ctx, current.view(), updated.view());
        if (!s.ok()) return ApiError(s);
        return http::Response::NoContent();
      },
      json_opts);

  router.Add(
      "POST", "/api/v1/account/recover",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto body = ParseJsonObject(req.body, {{"email", JsonType::kString},
                                               {"recovery_code", JsonType::kString},
                                               {"new_password", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        const crypto::SecretString typed_code = SecretField(*body, "recovery_code");
        const crypto::SecretString password = SecretField(*body, "new_password");
        auto code = accounts.Recover(StringField(*body, "email"), typed_code.view(),
                                     password.view(), req.remote_address);
        if (!code.ok()) return ApiError(code.status());
        return http::Response::Json(
            200, json{{"recovery_code", std::string(code->AsStringView())}}.dump());
      },
      json_opts);

  router.Add("GET", "/api/v1/sessions",
             [&accounts](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto sessions = accounts.ListSessions(*auth.ctx);
               if (!sessions.ok()) return ApiError(sessions.status());
               json items = json::array();
               for (const app::SessionInfo& s : *sessions) {
                 items.push_back({{"id", s.public_id},
                                  {"created_at", FormatRfc3339(s.created_at)},
                                  {"last_seen_at", FormatRfc3339(s.last_seen_at)},
                                  {"client_ip", s.client_ip},
                                  {"user_agent", s.user_agent},
                                  {"current", s.current}});
               }
               return http::Response::Json(200, json{{"sessions", items}}.dump());
             });

  router.Add("DELETE", "/api/v1/sessions/{id}",
             [&accounts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const std::string& id = params.at("id");
               if (Status s = accounts.EndSession(*auth.ctx, id); !s.ok()) return ApiError(s);
               http::Response r = http::Response::NoContent();
               if (id == auth.ctx->session.public_id) ClearSessionCookie(r);
               return r;
             });

  router.Add(
      "POST", "/api/v1/account/totp",
      [&accounts](const http::Request& req, const http::PathParams&) {
        auto auth = RequireSession(accounts, req, SessionNeed::kSetupAllowed);
        if (!auth.ctx) return std::move(auth.error);
        auto enrolment = accounts.BeginTotp(*auth.ctx);
        if (!enrolment.ok()) return ApiError(enrolment.status());
        return http::Response::Json(
            200,
            json{{"otpauth_uri", enrolment->otpauth_uri}, {"qr_svg", enrolment->qr_svg}}.dump());
      },
      json_opts);

  router.Add(
      "POST", "/api/v1/account/totp/confirm",
      [&accounts](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kSetupAllowed);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"code", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        if (Status s = accounts.ConfirmTotp(*auth.ctx, StringField(*body, "code")); !s.ok()) {
          return ApiError(s);
        }
        return http::Response::Json(200, json{{"status", "active"}}.dump());
      },
      json_opts);
}

}  // namespace sealpost::api
