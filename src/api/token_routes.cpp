// /api/v1/account/tokens: the member's API tokens (app/api_tokens.h). Session only (a token
// cannot mint or list tokens); the secret is in the creation answer and nowhere else.
//   POST   /api/v1/account/tokens        {name, role, expires_in_days} → 201 {…, token}
//   GET    /api/v1/account/tokens        {items: [{id, name, role, created_at, expires_at,
//                                          last_used_at}]}, expired ones too
//   DELETE /api/v1/account/tokens/{id}   204; 404 when the member has no such token
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

json TokenJson(const store::ApiTokenRecord& t) {
  json out = {{"id", t.public_id},
              {"name", t.name},
              {"role", app::RoleName(t.role)},
              {"created_at", FormatRfc3339(t.created_at)},
              {"expires_at", FormatRfc3339(t.expires_at)},
              {"last_used_at", nullptr}};
  if (t.last_used_at) out["last_used_at"] = FormatRfc3339(*t.last_used_at);
  return out;
}

}  // namespace

void RegisterTokenRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.api_tokens == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::ApiTokens& tokens = *deps.api_tokens;
  const http::RouteOptions json_opts{deps.max_json_bytes};

  router.Add(
      "POST", "/api/v1/account/tokens",
      [&accounts, &tokens](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"name", JsonType::kString},
                                               {"role", JsonType::kString},
                                               {"expires_in_days", JsonType::kInteger}});
        if (!body.ok()) return ApiError(body.status());
        auto created =
            tokens.Create(*auth.ctx, StringField(*body, "name"), StringField(*body, "role"),
                          (*body)["expires_in_days"].get<int64_t>());
        if (!created.ok()) return ApiError(created.status());
        json out = TokenJson(created->record);
        out["token"] = std::string(created->secret.view());
        http::Response r = http::Response::Json(201, out.dump());
        r.SetHeader("Cache-Control", "no-store");
        return r;
      },
      json_opts);

  router.Add("GET", "/api/v1/account/tokens",
             [&accounts, &tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto list = tokens.List(*auth.ctx);
               if (!list.ok()) return ApiError(list.status());
               json items = json::array();
               for (const store::ApiTokenRecord& t : *list) items.push_back(TokenJson(t));
               return http::Response::Json(200, json{{"items", items}}.dump());
             });

  router.Add("DELETE", "/api/v1/account/tokens/{id}",
             [&accounts, &tokens](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = tokens.Revoke(*auth.ctx, params.at("id"));
               if (!s.ok()) return ApiError(s);
               http::Response r;
               r.status = 204;
               return r;
             });
}

}  // namespace sealpost::api
