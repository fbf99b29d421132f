// GET /api/v1/admin/audit/export?from=&to=&member=&message=&format=csv|jsonl|pdf|bundle: the
// audit export (app/audit_exports.h, docs/formats/audit-export.md) as a download.
//
// SECURITY: takes a full session or an API token (RequireCaller); who may export is
// app::MayExportAudit's decision (403 otherwise). The query values are untrusted: times are parsed
// strictly, ids only compared.
#include <nlohmann/json.hpp>

#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {

void RegisterAuditExportRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.audit_exports == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::AuditExports& exports = *deps.audit_exports;
  app::ApiTokens* tokens = deps.api_tokens;

  router.Add("GET", "/api/v1/admin/audit/export",
             [&accounts, &exports, tokens](const http::Request& req, const http::PathParams&) {
               auto auth = RequireCaller(accounts, tokens, req);
               if (!auth.caller) return std::move(auth.error);
               auto format =
                   app::ParseAuditExportFormat(req.QueryParam("format").value_or("bundle"));
               if (!format.ok()) return ApiError(format.status());
               receipts::AuditExportFilter filter;
               for (const auto& [name, out] :
                    {std::pair{"from", &filter.from_ms}, std::pair{"to", &filter.to_ms}}) {
                 const auto text = req.QueryParam(name);
                 if (!text || text->empty()) continue;
                 auto ms = receipts::ParseExportTime(*text);
                 if (!ms.ok())
                   return ApiError(InvalidArgument(ms.status().message()).ShownToClient());
                 *out = *ms;
               }
               filter.member = req.QueryParam("member").value_or("");
               filter.message = req.QueryParam("message").value_or("");
               auto file = exports.Export(*auth.caller, std::move(filter), *format);
               if (!file.ok()) return ApiError(file.status());
               http::Response response = http::Response::Text(
                   200, std::string(AsChars(file->content)), file->content_type);
               response.SetHeader("Content-Disposition", ContentDisposition(file->file_name));
               return response;
             });
}

}  // namespace sealpost::api
