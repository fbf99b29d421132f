// /api/v1 routes for a sent message's receipts (app/receipt_issuing.h, docs/formats/receipt.md):
//
//   GET /api/v1/messages/{id}/receipts                the receipts issued so far, per recipient
//   GET /api/v1/messages/{id}/receipts/{receipt_id}   one receipt, DER CMS SignedData
//   GET /api/v1/messages/{id}/evidence                the evidence package, application/zip
//
// SECURITY: all take a session and untrusted path segments; only the message's sender gets an
// answer, anyone else the same 404 as for a message that does not exist (app::Receipts,
// app::EvidencePackages).
#include <nlohmann/json.hpp>

#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {

using nlohmann::json;

void RegisterReceiptRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.evidence != nullptr) {
    app::Accounts& accounts = deps.accounts;
    app::EvidencePackages& packages = *deps.evidence;
    router.Add("GET", "/api/v1/messages/{id}/evidence",
               [&accounts, &packages](const http::Request& req, const http::PathParams& params) {
                 auto auth = RequireSession(accounts, req, SessionNeed::kFull);
                 if (!auth.ctx) return std::move(auth.error);
                 auto package = packages.Build(*auth.ctx, params.at("id"));
                 if (!package.ok()) return ApiError(package.status());
                 http::Response response = http::Response::Text(
                     200, std::string(AsChars(package->zip)), "application/zip");
                 response.SetHeader("Content-Disposition", ContentDisposition(package->file_name));
                 return response;
               });
  }
  if (deps.receipts == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::Receipts& receipts = *deps.receipts;

  router.Add("GET", "/api/v1/messages/{id}/receipts",
             [&accounts, &receipts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const std::string& id = params.at("id");
               auto list = receipts.List(*auth.ctx, id);
               if (!list.ok()) return ApiError(list.status());
               json items = json::array();
               for (const app::ReceiptSummary& r : *list) {
                 items.push_back({{"id", r.id},
                                  {"recipient", r.recipient},
                                  {"event", r.event},
                                  {"time", FormatRfc3339(FromUnixMillis(r.time_ms))},
                                  {"log_index", r.log_index},
                                  {"issued_at", FormatRfc3339(r.issued_at)},
                                  {"href", "/api/v1/messages/" + id + "/receipts/" + r.id}});
               }
               return http::Response::Json(200, json{{"receipts", std::move(items)}}.dump());
             });

  router.Add("GET", "/api/v1/messages/{id}/receipts/{receipt_id}",
             [&accounts, &receipts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto der = receipts.Get(*auth.ctx, params.at("id"), params.at("receipt_id"));
               if (!der.ok()) return ApiError(der.status());
               // RFC 8551 §3.2: a SignedData is application/pkcs7-mime; smime-type names it.
               http::Response response = http::Response::Text(
                   200, std::string(AsChars(*der)),
                   "application/pkcs7-mime; smime-type=signed-data; name=receipt.p7m");
               response.SetHeader(
                   "Content-Disposition",
                   ContentDisposition("receipt-" + params.at("receipt_id") + ".p7m"));
               return response;
             });
}

}  // namespace sealpost::api
