// Escrow keys per domain (app/escrow.h; docs/escrow.md): /api/v1/admin/escrow/{domain}. An
// administrator of the domain turns escrow on with the domain's escrow public key, or off; by
// session or API token (RequireCaller). Who may is decided in app/ (403 otherwise).
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

json KeyJson(const std::string& domain, const std::optional<app::EscrowKeyView>& key) {
  json out = {{"domain", domain},       {"enabled", key.has_value()}, {"public_key", nullptr},
              {"fingerprint", nullptr}, {"set_by", nullptr},          {"set_at", nullptr}};
  if (key) {
    out["domain"] = key->domain;
    out["public_key"] = key->public_key;
    out["fingerprint"] = key->fingerprint;
    out["set_by"] = key->set_by;
    out["set_at"] = FormatRfc3339(key->set_at);
  }
  return out;
}

}  // namespace

void RegisterEscrowRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.escrow == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::ApiTokens* tokens = deps.api_tokens;
  app::Escrow& escrow = *deps.escrow;
  const http::RouteOptions json_opts{deps.max_json_bytes};

  router.Add("GET", "/api/v1/admin/escrow/{domain}",
             [&accounts, tokens, &escrow](const http::Request& req, const http::PathParams& p) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto key = escrow.GetKey(*auth.caller, p.at("domain"));
               if (!key.ok()) return ApiError(key.status());
               return http::Response::Json(200, KeyJson(p.at("domain"), *key).dump());
             });

  router.Add(
      "PUT", "/api/v1/admin/escrow/{domain}",
      [&accounts, tokens, &escrow](const http::Request& req, const http::PathParams& p) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireCaller(accounts, tokens, req);
        if (!auth.caller) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"public_key", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        auto key = escrow.SetKey(*auth.caller, p.at("domain"), StringField(*body, "public_key"));
        if (!key.ok()) return ApiError(key.status());
        return http::Response::Json(200, KeyJson(key->domain, *key).dump());
      },
      json_opts);

  router.Add("DELETE", "/api/v1/admin/escrow/{domain}",
             [&accounts, tokens, &escrow](const http::Request& req, const http::PathParams& p) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               const Status s = escrow.ClearKey(*auth.caller, p.at("domain"));
               if (!s.ok()) return ApiError(s);
               http::Response r;
               r.status = 204;
               return r;
             });
}

}  // namespace sealpost::api
