// /api/v1 routes for the sender's side of a sent message (app/sent_status.h): recall, and the
// status fields GET /messages/{id} adds for the sender.
#include <nlohmann/json.hpp>

#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {

using nlohmann::json;

void AddSentStatus(json& out, const app::SentStatus& status) {
  json recipients = json::array();
  for (const app::RecipientStatus& r : status.recipients) {
    const char* delivery = r.delivery == app::RecipientDelivery::kPortal   ? "portal"
                           : r.delivery == app::RecipientDelivery::kSecure ? "secure"
                                                                           : "member";
    json item = {{"address", r.address},
                 {"delivery", delivery},
                 {"status", r.status},
                 {"method", r.method},
                 {"state", r.status}};
    if (!r.format.empty()) item["format"] = r.format;
    if (!r.detail.empty()) item["detail"] = r.detail;
    if (r.next_attempt_at) item["next_attempt_at"] = FormatRfc3339(*r.next_attempt_at);
    if (r.notified_at) item["notified_at"] = FormatRfc3339(*r.notified_at);
    if (r.opened_at) item["opened_at"] = FormatRfc3339(*r.opened_at);
    if (r.replied_at) item["replied_at"] = FormatRfc3339(*r.replied_at);
    if (r.locked) item["locked"] = true;
    recipients.push_back(std::move(item));
  }
  out["recipients"] = std::move(recipients);
  if (status.expires_at) out["expires_at"] = FormatRfc3339(*status.expires_at);
  out["can_recall"] = status.can_recall;
}

void RegisterSentRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  app::SentMessages& sent = deps.sent;

  // No body: the message id is the whole request.
  router.Add("POST", "/api/v1/messages/{id}/recall",
             [&accounts, &sent](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto result = sent.Recall(*auth.ctx, params.at("id"));
               if (!result.ok()) {
                 return ApiError(result.status());
               }
               return http::Response::Json(
                   200, json{{"recalled", result->recalled}, {"kept", result->kept}}.dump());
             });
}

}  // namespace sealpost::api
