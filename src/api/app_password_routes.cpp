// /api/v1/account/app-passwords: the member's app passwords for mail programs
// (app/app_passwords.h). Session only, like the other account routes (CSRF on unsafe methods);
// the password is in the creation answer and nowhere else.
//   POST   /api/v1/account/app-passwords       {name} → 201 {id, name, created_at,
//                                              last_used_at, password, mail_settings}
//   GET    /api/v1/account/app-passwords       {items: [{id, name, created_at, last_used_at}],
//                                              mail_settings}
//   DELETE /api/v1/account/app-passwords/{id}  204; 404 when the member has no such live one
// mail_settings: {host, username (the member's address), starttls_port, tls_port} (a port is
// null when that kind of submission is not offered).
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

json AppPasswordJson(const app::AppPasswordInfo& p) {
  json out = {{"id", p.id},
              {"name", p.name},
              {"created_at", FormatRfc3339(p.created_at)},
              {"last_used_at", nullptr}};
  if (p.last_used_at) out["last_used_at"] = FormatRfc3339(*p.last_used_at);
  return out;
}

json MailSettingsJson(const app::MailProgramSettings& m, const store::UserRecord& user) {
  auto port = [](uint16_t p) { return p == 0 ? json(nullptr) : json(p); };
  return {{"host", m.host},
          {"username", user.email},
          {"starttls_port", port(m.starttls_port)},
          {"tls_port", port(m.tls_port)}};
}

}  // namespace

void RegisterAppPasswordRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.app_passwords == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::AppPasswords& passwords = *deps.app_passwords;
  const http::RouteOptions json_opts{deps.max_json_bytes};

  router.Add(
      "POST", "/api/v1/account/app-passwords",
      [&accounts, &passwords](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"name", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        auto created = passwords.Create(*auth.ctx, StringField(*body, "name"));
        if (!created.ok()) return ApiError(created.status());
        json out = AppPasswordJson(created->info);
        out["password"] = std::string(created->password.view());
        out["mail_settings"] = MailSettingsJson(passwords.mail_settings(), auth.ctx->user);
        http::Response r = http::Response::Json(201, out.dump());
        r.SetHeader("Cache-Control", "no-store");
        return r;
      },
      json_opts);

  router.Add("GET", "/api/v1/account/app-passwords",
             [&accounts, &passwords](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto list = passwords.List(*auth.ctx);
               if (!list.ok()) return ApiError(list.status());
               json items = json::array();
               for (const app::AppPasswordInfo& p : *list) items.push_back(AppPasswordJson(p));
               return http::Response::Json(
                   200, json{{"items", items},
                             {"mail_settings",
                              MailSettingsJson(passwords.mail_settings(), auth.ctx->user)}}
                            .dump());
             });

  router.Add("DELETE", "/api/v1/account/app-passwords/{id}",
             [&accounts, &passwords](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = passwords.Revoke(*auth.ctx, params.at("id"));
               if (!s.ok()) return ApiError(s);
               http::Response r;
               r.status = 204;
               return r;
             });
}

}  // namespace sealpost::api
