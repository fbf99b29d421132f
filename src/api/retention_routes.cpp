// Retention and legal hold (app/retention.h): a member's view of their domain's policy, and the
// administration of policies and holds (/api/v1/admin/retention, /api/v1/admin/holds). Who may
// administer is decided in app/ (MayManageRetention: 403 for everyone else).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

json PolicyJson(const store::RetentionPolicyRecord& p) {
  return {{"domain", p.domain}, {"days", p.days}, {"updated_at", FormatRfc3339(p.updated_at)}};
}

json HoldJson(const store::HoldRecord& h) {
  json out = {{"id", h.id},
              {"target", h.target == store::HoldTarget::kMember ? "member" : "message"},
              {"subject", h.subject},
              {"reason", h.reason},
              {"placed_by", h.placed_by},
              {"placed_at", FormatRfc3339(h.placed_at)},
              {"released_at", nullptr},
              {"released_by", nullptr}};
  if (h.released_at) {
    out["released_at"] = FormatRfc3339(*h.released_at);
    out["released_by"] = h.released_by;
  }
  return out;
}

// An integer field already checked to be one, clamped so no value wraps into range.
int64_t ClampedInt(const RequestJson& value) {
  return value.is_number_unsigned()
             ? static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), 1u << 30))
             : std::max<int64_t>(value.get<int64_t>(), -1);
}

}  // namespace

void RegisterRetentionRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.retention == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::Retention& retention = *deps.retention;
  const http::RouteOptions json_opts{deps.max_json_bytes};

  router.Add("GET", "/api/v1/account/retention",
             [&accounts, &retention](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto policy = retention.PolicyOfMember(*auth.ctx);
               if (!policy.ok()) return ApiError(policy.status());
               const std::string& email = auth.ctx->user.email;
               json out = {{"domain", email.substr(email.rfind('@') + 1)}, {"days", nullptr}};
               if (policy->has_value()) out["days"] = (*policy)->days;
               return http::Response::Json(200, out.dump());
             });

  router.Add("GET", "/api/v1/admin/retention",
             [&accounts, &retention](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto policies = retention.ListPolicies(*auth.ctx);
               if (!policies.ok()) return ApiError(policies.status());
               json items = json::array();
               for (const auto& p : *policies) items.push_back(PolicyJson(p));
               return http::Response::Json(200, json{{"items", items}}.dump());
             });

  router.Add(
      "POST", "/api/v1/admin/retention",
      [&accounts, &retention](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body,
                                    {{"domain", JsonType::kString}, {"days", JsonType::kInteger}});
        if (!body.ok()) return ApiError(body.status());
        auto policy = retention.SetPolicy(*auth.ctx, StringField(*body, "domain"),
                                          ClampedInt(body->at("days")));
        if (!policy.ok()) return ApiError(policy.status());
        return http::Response::Json(200, PolicyJson(*policy).dump());
      },
      json_opts);

  router.Add("DELETE", "/api/v1/admin/retention/{domain}",
             [&accounts, &retention](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = retention.ClearPolicy(*auth.ctx, params.at("domain"));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });

  router.Add(
      "GET", "/api/v1/admin/holds",
      [&accounts, &retention](const http::Request& req, const http::PathParams&) {
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto limit = IntQueryParam(req, "limit");
        if (!limit.ok()) return ApiError(limit.status());
        const int64_t n = limit->value_or(50);
        if (n < 1 || n > app::kMaxHoldPage) {
          return ApiError(InvalidArgument("limit must be between 1 and 200").ShownToClient());
        }
        const bool all = req.QueryParam("include_released").value_or("") == "true";
        auto holds = retention.ListHolds(*auth.ctx, all, static_cast<int>(n));
        if (!holds.ok()) return ApiError(holds.status());
        json items = json::array();
        for (const auto& h : *holds) items.push_back(HoldJson(h));
        return http::Response::Json(200, json{{"items", items}}.dump());
      });

  router.Add(
      "POST", "/api/v1/admin/holds",
      [&accounts, &retention](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"target", JsonType::kString},
                                               {"subject", JsonType::kString},
                                               {"reason", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        auto hold =
            retention.PlaceHold(*auth.ctx, StringField(*body, "target"),
                                StringField(*body, "subject"), StringField(*body, "reason"));
        if (!hold.ok()) return ApiError(hold.status());
        return http::Response::Json(201, HoldJson(*hold).dump());
      },
      json_opts);

  router.Add("POST", "/api/v1/admin/holds/{id}/release",
             [&accounts, &retention](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = retention.ReleaseHold(*auth.ctx, params.at("id"));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });
}

}  // namespace sealpost::api
