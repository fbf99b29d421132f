// /api/v1/admin routes: accounts, invitations, roles, the audit log. For callers holding the
// permission each needs over the domain concerned (app/access.h: 403 forbidden otherwise, 404 for
// another domain's user, decided in app/), by session or by API token (RequireCaller).
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultPageSize = 50;

const char* StatusName(app::AccountStatus s) {
  switch (s) {
    case app::AccountStatus::kActive:
      return "active";
    case app::AccountStatus::kDisabled:
      return "disabled";
    case app::AccountStatus::kUnverified:
      break;
  }
  return "unverified";
}

// limit from the query, default 50; the range is checked by app/.
Result<int> PageLimit(const http::Request& req) {
  SP_ASSIGN_OR_RETURN(const auto limit, IntQueryParam(req, "limit"));
  const int64_t value = limit.value_or(kDefaultPageSize);
  if (value < 1 || value > app::kMaxAdminPageSize) {
    return InvalidArgument("limit must be between 1 and 200").ShownToClient();
  }
  return static_cast<int>(value);
}

json AuditItemJson(const app::AuditItem& e) {
  json details = json::parse(e.event.details, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded() || !details.is_object()) details = json::object();
  json out = {{"index", nullptr},
              {"pending", !e.index.has_value()},
              {"time", FormatRfc3339(e.event.time)},
              {"event", e.event.type},
              {"actor", e.event.actor},
              {"subject", e.event.subject},
              {"details", details},
              {"leaf_hash", HexEncode(e.leaf_hash)}};
  if (e.index) out["index"] = *e.index;
  if (e.legacy_seq != 0) out["legacy_seq"] = e.legacy_seq;
  return out;
}

}  // namespace

void RegisterAdminRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  app::Admin& admin = deps.admin;
  app::ApiTokens* tokens = deps.api_tokens;
  const http::RouteOptions json_opts{deps.max_json_bytes};

  router.Add("GET", "/api/v1/admin/users",
             [&accounts, &admin, tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto limit = PageLimit(req);
               if (!limit.ok()) return ApiError(limit.status());
               auto page = admin.ListAccounts(*auth.caller, req.QueryParam("cursor").value_or(""),
                                              *limit, req.QueryParam("domain").value_or(""));
               if (!page.ok()) return ApiError(page.status());
               json items = json::array();
               for (const app::AccountSummary& a : page->items) {
                 items.push_back({{"id", a.id.str()},
                                  {"email", a.email},
                                  {"role", a.is_admin ? "admin" : "member"},
                                  {"status", StatusName(a.status)},
                                  {"totp_enabled", a.totp_enabled},
                                  {"created_at", FormatRfc3339(a.created_at)}});
               }
               json out = {{"items", items}, {"next_cursor", nullptr}};
               if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
               return http::Response::Json(200, out.dump());
             });

  for (const bool disable : {true, false}) {
    router.Add("POST",
               disable ? "/api/v1/admin/users/{id}/disable" : "/api/v1/admin/users/{id}/enable",
               [&accounts, &admin, tokens, disable](const http::Request& req,
                                                    const http::PathParams& params) {
                 auto auth = RequireCaller(accounts, tokens, req);
                 if (!auth.caller) return std::move(auth.error);
                 const Status s = admin.SetDisabled(*auth.caller, params.at("id"), disable);
                 if (!s.ok()) return ApiError(s);
                 return http::Response::NoContent();
               });
  }

  router.Add(
      "POST", "/api/v1/admin/invitations",
      [&accounts, &admin, tokens](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireCaller(accounts, tokens, req);
        if (!auth.caller) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"email", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        const Status s = admin.Invite(*auth.caller, StringField(*body, "email"));
        if (!s.ok()) return ApiError(s);
        return http::Response::Json(202, json{{"status", "invitation_sent"}}.dump());
      },
      json_opts);

  router.Add("GET", "/api/v1/admin/audit",
             [&accounts, &admin, tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto limit = PageLimit(req);
               if (!limit.ok()) return ApiError(limit.status());
               auto before = IntQueryParam(req, "before");
               if (!before.ok()) return ApiError(before.status());
               auto page = admin.ListAudit(*auth.caller, *before, *limit);
               if (!page.ok()) return ApiError(page.status());
               json items = json::array();
               for (const app::AuditItem& e : page->items) items.push_back(AuditItemJson(e));
               json out = {{"items", items}, {"next_before", nullptr}, {"pending", page->pending}};
               if (page->next_before) out["next_before"] = *page->next_before;
               return http::Response::Json(200, out.dump());
             });

  router.Add("POST", "/api/v1/admin/audit/verify",
             [&accounts, &admin, tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto report = admin.VerifyAudit(*auth.caller);
               if (!report.ok()) return ApiError(report.status());
               return http::Response::Json(
                   200, json{{"ok", report->ok},
                             {"entries", report->entries},
                             {"legacy_entries", report->legacy_entries},
                             {"checkpoints", report->checkpoints},
                             {"last_checkpoint_seq", report->last_checkpoint_seq},
                             {"tree_size", report->tree_size},
                             {"pending", report->pending},
                             {"first_bad_index", report->first_bad_index},
                             {"problem", report->problem}}
                            .dump());
             });

  // The caller's own roles (any member; the UI decides what to show from them).
  router.Add("GET", "/api/v1/account/roles",
             [&accounts, &admin, tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto roles = admin.CallerRoles(*auth.caller);
               if (!roles.ok()) return ApiError(roles.status());
               json items = json::array();
               for (const store::RoleGrantRecord& g : *roles) {
                 items.push_back({{"role", app::RoleName(g.role)}, {"domain", g.domain}});
               }
               return http::Response::Json(200, json{{"items", items}}.dump());
             });

  router.Add("GET", "/api/v1/admin/roles",
             [&accounts, &admin, tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto roles = admin.ListRoles(*auth.caller);
               if (!roles.ok()) return ApiError(roles.status());
               json items = json::array();
               for (const app::RoleGrantView& g : *roles) {
                 items.push_back({{"user_id", g.user_id.str()},
                                  {"email", g.email},
                                  {"role", app::RoleName(g.role)},
                                  {"domain", g.domain},
                                  {"granted_by", g.granted_by},
                                  {"granted_at", FormatRfc3339(g.granted_at)}});
               }
               return http::Response::Json(200, json{{"items", items}}.dump());
             });

  // PUT grants (idempotent), DELETE revokes; the domain is "*" or a mail domain.
  for (const bool grant : {true, false}) {
    router.Add(grant ? "PUT" : "DELETE", "/api/v1/admin/roles/{user_id}/{role}/{domain}",
               [&accounts, &admin, tokens, grant](const http::Request& req,
                                                  const http::PathParams& params) {
                 auto auth = RequireCaller(accounts, tokens, req);
                 if (!auth.caller) return std::move(auth.error);
                 const Status s = grant ? admin.GrantRole(*auth.caller, params.at("user_id"),
                                                          params.at("role"), params.at("domain"))
                                        : admin.RevokeRole(*auth.caller, params.at("user_id"),
                                                           params.at("role"), params.at("domain"));
                 if (!s.ok()) return ApiError(s);
                 return http::Response::NoContent();
               });
  }
}

}  // namespace sealpost::api
