// The platform's public PKI and its time-stamping authority, open to anyone (no session):
//   POST /tsa                     RFC 3161 over HTTP (section 3.4): application/timestamp-query
//                                 in, application/timestamp-reply out (receipts/tsa.h).
//   GET  /api/v1/pki/root.pem     the platform root certificate (PEM, RFC 7468)
//   GET  /api/v1/pki/root.der     the same in DER (application/pkix-cert, RFC 2585)
//   GET  /api/v1/pki/chain.pem    the issuing CA and the platform's signing certificates
//
// SECURITY: POST /tsa takes untrusted bytes from anyone. The router refuses bodies over
// crypto::policy::kTsa.max_query_bytes with 413 before they are read; a wrong Content-Type gets
// 415; every query within the limit gets a TimeStampResp (a rejection when malformed), so the
// route never reveals more than a TSA must. Each query costs one ECDSA signature on a worker
// thread; there is no per-client rate limit yet (docs/formats/platform-pki.md, "Limits").
#include <cctype>
#include <string>

#include "api/request_auth.h"
#include "api/routes.h"
#include "crypto/security_policy.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

constexpr std::string_view kQueryType = "application/timestamp-query";
constexpr std::string_view kReplyType = "application/timestamp-reply";

// Certificates change only when the PKI is re-created; a day of caching is harmless.
http::Response Certificate(std::string body, std::string_view type) {
  http::Response r = http::Response::Text(200, std::move(body), type);
  r.SetHeader("Cache-Control", "public, max-age=86400");
  return r;
}

}  // namespace

void RegisterPkiRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.tsa) {
    router.Add("POST", "/tsa",
               [tsa = deps.tsa](const http::Request& req, const http::PathParams&) {
                 const auto type = req.Header("Content-Type");
                 // Media types are case-insensitive; parameters (none are defined) are ignored.
                 std::string base(type ? type->substr(0, type->find(';')) : std::string_view());
                 while (!base.empty() && base.back() == ' ') base.pop_back();
                 for (char& c : base)
                   c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                 if (base != kQueryType) return http::ProblemFor(Reason::kUnsupportedMediaType);
                 auto reply =
                     tsa->Respond(AsBytes(std::string_view(req.body.data(), req.body.size())));
                 if (!reply.ok()) return ApiError(reply.status());
                 return http::Response::Text(200, std::string(AsChars(*reply)), kReplyType);
               },
               {.max_body_bytes = crypto::policy::kTsa.max_query_bytes});
  }
  if (deps.pki.root_der.empty()) return;
  const PublicPki pki = deps.pki;
  router.Add("GET", "/api/v1/pki/root.pem", [pki](const http::Request&, const http::PathParams&) {
    return Certificate(pki.root_pem, "application/x-pem-file");
  });
  router.Add("GET", "/api/v1/pki/root.der", [pki](const http::Request&, const http::PathParams&) {
    return Certificate(std::string(AsChars(pki.root_der)), "application/pkix-cert");
  });
  router.Add("GET", "/api/v1/pki/chain.pem", [pki](const http::Request&, const http::PathParams&) {
    return Certificate(pki.chain_pem, "application/pem-certificate-chain");
  });
}

}  // namespace sealpost::api
