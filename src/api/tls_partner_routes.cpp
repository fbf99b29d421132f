// /api/v1 routes of the enforced-TLS partner table and the TLS-only policy (app/tls_partners.h),
// administrators only (instance administrators, and domain administrators for their domains):
//
//   GET    /api/v1/admin/tls-partners            the partners the caller may see: the config
//                                               file's, then the store's ({"items": [...]}, each
//                                               with "owner_domain" and "editable")
//   GET    /api/v1/admin/tls-partners/{domain}   one
//   PUT    /api/v1/admin/tls-partners/{domain}   {"mode": "verify"|"pin", "pins": [...],
//                                               "override": "host[:port]"}: add (201) or replace
//                                               (200)
//   DELETE /api/v1/admin/tls-partners/{domain}   remove an administrators' entry (204)
// The three take ?owner_domain= ("*" for an instance-wide entry, or a mail domain); without it
// the entry is the caller's own (app/TlsPartners::OwnerFor). Another domain's entry is 403.
//   GET    /api/v1/admin/tls-policy              {"forbid_tls_only": bool,
//                                               "forbidden_domains": [...]}
//   PUT    /api/v1/admin/tls-policy              the same object: replaces the policy
//
// SECURITY: a full session is required and app/ checks the caller is an administrator; the CSRF
// check of unsafe methods is RequireSession's. Bodies are small strict JSON objects (bounded
// here); every value is validated in app/, and a refusal is a problem naming the field.
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "app/tls_partners.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

// 16 pins of at most ~80 characters, a host and a policy list of up to 10,000 domains.
constexpr size_t kMaxPartnerBodyBytes = 16 * 1024;
constexpr size_t kMaxPolicyBodyBytes = 4 << 20;

json OptionalText(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

json PartnerJson(const app::TlsPartnerView& v) {
  const delivery::TlsPartnerPolicy& p = v.policy;
  json pins = json::array();
  for (const auto& pin : p.pins) pins.push_back(HexEncode(ByteView(pin.data(), pin.size())));
  json override_json = nullptr;
  if (!p.override_host.empty()) {
    const bool v6 = p.override_host.find(':') != std::string::npos;
    const std::string host = v6 ? "[" + p.override_host + "]" : p.override_host;
    override_json = p.override_port == 0 ? host : host + ":" + std::to_string(p.override_port);
  }
  return {{"domain", p.domain},
          {"owner_domain", v.owner_domain},
          {"editable", v.editable},
          {"mode", delivery::TlsPartnerModeName(p.mode)},
          {"pins", pins},
          {"override", override_json},
          {"source", v.source},
          {"added_by", OptionalText(v.added_by)},
          {"added_at", OptionalTime(v.added_at)},
          {"updated_by", OptionalText(v.updated_by)},
          {"updated_at", OptionalTime(v.updated_at)}};
}

json PolicyJson(const app::TlsOnlyPolicy& p) {
  return {{"forbid_tls_only", p.forbid_everywhere}, {"forbidden_domains", p.forbidden_domains}};
}

}  // namespace

void RegisterTlsPartnerRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.tls_partners == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::TlsPartners& partners = *deps.tls_partners;

  router.Add("GET", "/api/v1/admin/tls-partners",
             [&accounts, &partners](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto list = partners.List(*auth.ctx);
               if (!list.ok()) return ApiError(list.status());
               json items = json::array();
               for (const auto& p : *list) items.push_back(PartnerJson(p));
               return http::Response::Json(200, json{{"items", items}}.dump());
             });

  router.Add("GET", "/api/v1/admin/tls-partners/{domain}",
             [&accounts, &partners](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto p = partners.Get(*auth.ctx, params.at("domain"),
                                     req.QueryParam("owner_domain").value_or(""));
               if (!p.ok()) return ApiError(p.status());
               return http::Response::Json(200, PartnerJson(*p).dump());
             });

  router.Add(
      "PUT", "/api/v1/admin/tls-partners/{domain}",
      [&accounts, &partners](const http::Request& req, const http::PathParams& params) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"mode", JsonType::kString, false},
                                               {"pins", JsonType::kStringArray, false},
                                               {"override", JsonType::kString, false}});
        if (!body.ok()) return ApiError(body.status());
        app::TlsPartnerInput in;
        in.domain = params.at("domain");
        if (body->contains("mode")) in.mode = StringField(*body, "mode");
        in.pins = StringListField(*body, "pins");
        in.override_host = StringField(*body, "override");
        in.owner_domain = req.QueryParam("owner_domain").value_or("");
        auto put = partners.Put(*auth.ctx, in);
        if (!put.ok()) return ApiError(put.status());
        return http::Response::Json(put->created ? 201 : 200, PartnerJson(put->partner).dump());
      },
      http::RouteOptions{kMaxPartnerBodyBytes});

  router.Add("DELETE", "/api/v1/admin/tls-partners/{domain}",
             [&accounts, &partners](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = partners.Delete(*auth.ctx, params.at("domain"),
                                                req.QueryParam("owner_domain").value_or(""));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });

  router.Add("GET", "/api/v1/admin/tls-policy",
             [&accounts, &partners](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto p = partners.GetTlsOnlyPolicy(*auth.ctx);
               if (!p.ok()) return ApiError(p.status());
               return http::Response::Json(200, PolicyJson(*p).dump());
             });

  router.Add(
      "PUT", "/api/v1/admin/tls-policy",
      [&accounts, &partners](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body =
            ParseJsonObject(req.body, {{"forbid_tls_only", JsonType::kBoolean},
                                       {"forbidden_domains", JsonType::kStringArray, false}});
        if (!body.ok()) return ApiError(body.status());
        app::TlsOnlyPolicy policy;
        policy.forbid_everywhere = body->at("forbid_tls_only").get<bool>();
        policy.forbidden_domains = StringListField(*body, "forbidden_domains");
        auto set = partners.SetTlsOnlyPolicy(*auth.ctx, policy);
        if (!set.ok()) return ApiError(set.status());
        return http::Response::Json(200, PolicyJson(*set).dump());
      },
      http::RouteOptions{kMaxPolicyBodyBytes});
}

}  // namespace sealpost::api
