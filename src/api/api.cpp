#include "api/api.h"

#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {

void RegisterApi(http::Router& router, const ApiDeps& deps) {
  router.Add("GET", "/healthz", [](const http::Request&, const http::PathParams&) {
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  auto ready = deps.ready;
  router.Add("GET", "/readyz", [ready](const http::Request&, const http::PathParams&) {
    const Status s = ready();
    if (!s.ok()) return http::ProblemFromStatus(Unavailable("not ready: " + s.ToString()));
    return http::Response::Json(200, R"({"status":"ready"})");
  });
  router.Add("GET", "/api/v1/openapi.json", [](const http::Request&, const http::PathParams&) {
    return http::Response::Json(200, OpenApiDocument());
  });
  RegisterAccountRoutes(router, deps);
  RegisterAccountKeyRoutes(router, deps);
  RegisterMailboxRoutes(router, deps);
  RegisterPickupRoutes(router, deps);
  RegisterSentRoutes(router, deps);
  RegisterAdminRoutes(router, deps);
  RegisterPkiRoutes(router, deps);
  RegisterLogRoutes(router, deps);
  RegisterContactRoutes(router, deps);
  RegisterMethodRoutes(router, deps);
  RegisterReceiptRoutes(router, deps);
  RegisterRegisteredRoutes(router, deps);
  RegisterTlsPartnerRoutes(router, deps);
  RegisterSmtpPolicyRoutes(router, deps);
  RegisterTokenRoutes(router, deps);
  RegisterAuditExportRoutes(router, deps);
  RegisterRetentionRoutes(router, deps);
  RegisterEscrowRoutes(router, deps);
  RegisterAppPasswordRoutes(router, deps);
}

}  // namespace sealpost::api
