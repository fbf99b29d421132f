// /api/v1 routes for a member's own certified keys (app/account_keys.h):
//
//   GET /api/v1/account/keys              fingerprints, serial, validity, issuer (JSON)
//   GET /api/v1/account/keys/smime.pem    the S/MIME certificate, then the CA chain (PEM)
//   GET /api/v1/account/keys/smime.der    the S/MIME certificate alone (DER)
//   GET /api/v1/account/keys/openpgp.asc  the OpenPGP public key, ASCII-armoured
//
// SECURITY: a full session is required (as for the other account routes); a member sees only
// their own keys, and only public parts. No request input besides the session cookie.
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/request_auth.h"
#include "api/routes.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

// A download of public material; private because it names the member.
http::Response Download(std::string body, std::string_view type, std::string_view name) {
  http::Response r = http::Response::Text(200, std::move(body), type);
  r.SetHeader("Content-Disposition", ContentDisposition(name));
  r.SetHeader("Cache-Control", "private, no-cache");
  return r;
}

// The address with characters unfit for a file name replaced: "ann_example.org".
std::string FileStem(const std::string& email) {
  std::string out;
  for (const char c : email) out += (c == '@') ? '_' : c;
  return out;
}

}  // namespace

void RegisterAccountKeyRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  app::AccountKeys& keys = deps.account_keys;

  router.Add("GET", "/api/v1/account/keys",
             [&accounts, &keys](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto view = keys.Describe(*auth.ctx);
               if (!view.ok()) return ApiError(view.status());
               return http::Response::Json(
                   200, json{{"smime",
                              {{"sha256_fingerprint", view->smime_sha256},
                               {"serial", view->smime_serial},
                               {"subject", view->smime_subject},
                               {"issuer", view->smime_issuer},
                               {"not_after", FormatRfc3339(view->smime_not_after)}}},
                             {"openpgp",
                              {{"fingerprint", view->openpgp_fingerprint},
                               {"algorithm", view->openpgp_algorithm},
                               {"user_id", view->openpgp_user_id}}},
                             {"created_at", FormatRfc3339(view->created_at)}}
                            .dump());
             });

  router.Add("GET", "/api/v1/account/keys/smime.pem",
             [&accounts, &keys](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto pem = keys.SmimeCertificatePem(*auth.ctx);
               if (!pem.ok()) return ApiError(pem.status());
               return Download(std::move(*pem), "application/x-pem-file",
                               FileStem(auth.ctx->user.email) + ".pem");
             });

  router.Add("GET", "/api/v1/account/keys/smime.der",
             [&accounts, &keys](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto der = keys.SmimeCertificateDer(*auth.ctx);
               if (!der.ok()) return ApiError(der.status());
               return Download(std::string(AsChars(*der)), "application/pkix-cert",
                               FileStem(auth.ctx->user.email) + ".cer");
             });

  router.Add("GET", "/api/v1/account/keys/openpgp.asc",
             [&accounts, &keys](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto armored = keys.OpenPgpPublicKey(*auth.ctx);
               if (!armored.ok()) return ApiError(armored.status());
               return Download(std::move(*armored), "application/pgp-keys",
                               FileStem(auth.ctx->user.email) + ".asc");
             });
}

}  // namespace sealpost::api
