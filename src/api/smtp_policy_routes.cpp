// /api/v1 routes of the domains' SMTP gateway policies (app/smtp_policies.h;
// docs/smtp-submission.md), for administrators of the domain (or of "*"):
//
//   GET    /api/v1/admin/smtp-policies           {"default": {...}, "items": [...]}: the config
//                                               file's instance default and the policy in force
//                                               for each domain the caller administers
//   GET    /api/v1/admin/smtp-policies/{domain}  the policy in force for the domain ("source":
//                                               "domain" or "instance")
//   PUT    /api/v1/admin/smtp-policies/{domain}  {"mode": "all"|"tag"|"rules", "tag": "...",
//                                               "ready": [...], "regexes": [...]}: sets the
//                                               domain's own (200)
//   DELETE /api/v1/admin/smtp-policies/{domain}  back to the instance default (204)
//
// SECURITY: a full session is required; app/ checks the caller administers the domain (403
// otherwise) and validates every field (a refusal is a problem naming it). The CSRF check of
// unsafe methods is RequireSession's. Bodies are small strict JSON objects.
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "app/smtp_policies.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

// 20 patterns of at most 500 bytes (JSON-escaped up to 6 bytes each), a tag and the names.
constexpr size_t kMaxPolicyBodyBytes = 96 * 1024;

json GatewayJson(const app::GatewayPolicy& p) {
  return {{"mode", app::SubmissionPolicyName(p.mode)},
          {"tag", p.tag},
          {"ready", p.rules.ready},
          {"regexes", p.rules.regexes}};
}

json ViewJson(const app::SmtpPolicyView& v) {
  json out = GatewayJson(v.policy);
  out["domain"] = v.domain;
  out["source"] = v.source;
  out["updated_by"] = v.updated_by ? json(*v.updated_by) : json(nullptr);
  out["updated_at"] = v.updated_at ? json(FormatRfc3339(*v.updated_at)) : json(nullptr);
  return out;
}

}  // namespace

void RegisterSmtpPolicyRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.smtp_policies == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::SmtpPolicies& policies = *deps.smtp_policies;

  router.Add(
      "GET", "/api/v1/admin/smtp-policies",
      [&accounts, &policies](const http::Request& req, const http::PathParams&) {
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto list = policies.List(*auth.ctx);
        if (!list.ok()) return ApiError(list.status());
        json items = json::array();
        for (const auto& v : *list) items.push_back(ViewJson(v));
        return http::Response::Json(
            200,
            json{{"default", GatewayJson(policies.instance_default())}, {"items", items}}.dump());
      });

  router.Add("GET", "/api/v1/admin/smtp-policies/{domain}",
             [&accounts, &policies](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto v = policies.Get(*auth.ctx, params.at("domain"));
               if (!v.ok()) return ApiError(v.status());
               return http::Response::Json(200, ViewJson(*v).dump());
             });

  router.Add(
      "PUT", "/api/v1/admin/smtp-policies/{domain}",
      [&accounts, &policies](const http::Request& req, const http::PathParams& params) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"mode", JsonType::kString},
                                               {"tag", JsonType::kString, false},
                                               {"ready", JsonType::kStringArray, false},
                                               {"regexes", JsonType::kStringArray, false}});
        if (!body.ok()) return ApiError(body.status());
        app::GatewayPolicy policy;
        auto mode = app::ParseSubmissionPolicy(StringField(*body, "mode"));
        if (!mode.ok()) {
          return ApiError(
              InvalidArgument("mode: must be \"all\", \"tag\" or \"rules\"").ShownToClient());
        }
        policy.mode = *mode;
        policy.tag =
            body->contains("tag") ? StringField(*body, "tag") : policies.instance_default().tag;
        policy.rules.ready = StringListField(*body, "ready");
        policy.rules.regexes = StringListField(*body, "regexes");
        auto set = policies.Set(*auth.ctx, params.at("domain"), policy);
        if (!set.ok()) return ApiError(set.status());
        return http::Response::Json(200, ViewJson(*set).dump());
      },
      http::RouteOptions{kMaxPolicyBodyBytes});

  router.Add("DELETE", "/api/v1/admin/smtp-policies/{domain}",
             [&accounts, &policies](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = policies.Clear(*auth.ctx, params.at("domain"));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });
}

}  // namespace sealpost::api
