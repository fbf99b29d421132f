// /api/v1 routes of the key directory (app/contacts.h):
//
//   GET    /api/v1/contacts/keys               the member's contacts' keys, then the
//                                             organisation's, each with its status now
//   POST   /api/v1/contacts/keys[?address=]    import one: the body is the raw key file
//   GET    /api/v1/contacts/keys/{id}          one of them
//   DELETE /api/v1/contacts/keys/{id}          delete one of the member's own
//   POST   /api/v1/contacts/keys/{id}/verify   {"fingerprint": "..."}: personally verified
//   POST   /api/v1/contacts/keys/{id}/revoke   {"reason": "..."}: revoked (routing stops at once)
//   GET    /api/v1/admin/keys                  organisation-wide keys (administrators)
//   POST   /api/v1/admin/keys[?address=]       import one
//   DELETE /api/v1/admin/keys/{id}
//   POST   /api/v1/admin/keys/{id}/revoke      {"reason": "..."}
//   GET    /api/v1/admin/anchors               trust anchors (administrators)
//   POST   /api/v1/admin/anchors               add one (the body: a CA certificate, PEM or DER)
//   DELETE /api/v1/admin/anchors/{id}
//   GET    /api/v1/contacts/methods?address=a&address=b[&force_pickup=true]
//                                             how each address would be reached now
//                                             (app/routing.h); addresses also comma-separated, at
//                                             most app::kMaxMethodHints
//
// The body's Content-Type says what it is: application/pkix-cert or application/x-pem-file (a
// certificate), application/pkcs7-mime (.p7b/.p7s), message/rfc822 (a signed mail),
// application/pgp-keys (OpenPGP, armoured or binary); application/octet-stream or none is
// sniffed.
//
// SECURITY: a full session is required; the CSRF check of unsafe methods is RequireSession's.
// The body is untrusted bytes, bounded by the route's limit here and by app/'s import limits;
// it is never logged. Who may see and change what is decided in app/.
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "app/contacts.h"
#include "app/routing.h"
#include "http/problem.h"
#include "http/request.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

// Above every import limit (crypto/security_policy.h), so that an oversized key or certificate is
// refused by app/ with its reason rather than by the transport with a bare 413.
constexpr size_t kMaxKeyUploadBytes = 8 << 20;
constexpr size_t kMaxVerifyBodyBytes = 4096;

std::string MediaTypeOf(const http::Request& req) {
  std::string type(req.Header("Content-Type").value_or(""));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// nullopt: a type that is not a key, a certificate or a mail (415).
std::optional<app::KeyFormat> FormatOf(const http::Request& req) {
  const std::string type = MediaTypeOf(req);
  if (type.empty() || type == "application/octet-stream") return app::KeyFormat::kAuto;
  if (type == "application/pkix-cert" || type == "application/x-pem-file" ||
      type == "application/x-x509-ca-cert" || type == "application/x-x509-user-cert" ||
      type == "application/pkcs7-mime" || type == "application/x-pkcs7-certificates" ||
      type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature") {
    return app::KeyFormat::kCertificate;
  }
  if (type == "message/rfc822") return app::KeyFormat::kSignedMail;
  if (type == "application/pgp-keys") return app::KeyFormat::kOpenPgp;
  return std::nullopt;
}

json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

json KeyJson(const app::ContactKeyView& k) {
  json out = {{"id", k.id},
              {"address", k.address},
              {"kind", app::KindName(k.kind)},
              {"fingerprint", k.fingerprint},
              {"algorithm", k.algorithm},
              {"not_before", FormatRfc3339(k.not_before)},
              {"not_after", OptionalTime(k.not_after)},
              {"source", app::SourceName(k.source)},
              {"organisation", k.organisation},
              {"added_by", k.added_by},
              {"added_at", FormatRfc3339(k.added_at)},
              {"personally_verified", k.verified_at.has_value()},
              {"verified_at", OptionalTime(k.verified_at)},
              {"revoked_at", OptionalTime(k.revoked_at)},
              {"revoked_reason", k.revoked_at ? json(k.revoked_reason) : json(nullptr)},
              {"status", k.status},
              {"problem", k.problem.empty() ? json(nullptr) : json(k.problem)}};
  if (!k.subject.empty()) {
    out["subject"] = k.subject;
    out["issuer"] = k.issuer;
  }
  if (!k.smime_capabilities.empty()) out["smime_capabilities"] = k.smime_capabilities;
  return out;
}

json KeysJson(const std::vector<app::ContactKeyView>& keys) {
  json items = json::array();
  for (const auto& k : keys) items.push_back(KeyJson(k));
  return json{{"items", items}};
}

json AnchorJson(const app::TrustAnchorView& a) {
  return {{"id", a.id},
          {"subject", a.subject},
          {"fingerprint", a.fingerprint},
          {"not_after", FormatRfc3339(a.not_after)},
          {"added_by", a.added_by},
          {"added_at", FormatRfc3339(a.added_at)}};
}

ByteView BodyBytes(const http::Request& req) {
  return AsBytes(std::string_view(req.body.data(), req.body.size()));
}

// Every `address` parameter, each split at commas; empty items dropped. A malformed encoding is
// an error (nullopt).
std::optional<std::vector<std::string>> AddressesOf(const http::Request& req) {
  std::vector<std::string> out;
  std::string_view rest = req.query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    auto key = http::FormDecode(pair.substr(0, eq));
    if (!key.ok() || *key != "address" || eq == std::string_view::npos) continue;
    auto value = http::FormDecode(pair.substr(eq + 1));
    if (!value.ok()) return std::nullopt;
    std::string_view list = *value;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      // Bounded before app/ sees it: one more than the limit is enough to refuse.
      if (out.size() > app::kMaxMethodHints) return out;
    }
  }
  return out;
}

}  // namespace

void RegisterMethodRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.routing == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  const app::Routing& routing = *deps.routing;
  router.Add("GET", "/api/v1/contacts/methods",
             [&accounts, &routing](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto addresses = AddressesOf(req);
               if (!addresses || addresses->empty()) {
                 return ApiError(InvalidArgument("give one or more addresses (address=...)")
                                     .ShownToClient(Reason::kInvalidRecipient));
               }
               const bool force = req.QueryParam("force_pickup").value_or("") == "true";
               auto hints = routing.Hints(auth.ctx->user.id, *addresses, force);
               if (!hints.ok()) return ApiError(hints.status());
               json items = json::array();
               for (const app::MethodHint& h : *hints) {
                 items.push_back({{"address", h.address},
                                  {"method", app::RouteMethodSlug(h.method)},
                                  {"label", h.label},
                                  {"needs_muc", h.needs_muc}});
               }
               return http::Response::Json(200, json{{"items", items}}.dump());
             });
}

void RegisterContactRoutes(http::Router& router, const ApiDeps& deps) {
  if (deps.contacts == nullptr) return;
  app::Accounts& accounts = deps.accounts;
  app::Contacts& contacts = *deps.contacts;
  const http::RouteOptions upload_opts{kMaxKeyUploadBytes};
  const http::RouteOptions verify_opts{kMaxVerifyBodyBytes};

  // The member's and the administrators' imports differ only in the use case they call.
  for (const bool organisation : {false, true}) {
    const char* path = organisation ? "/api/v1/admin/keys" : "/api/v1/contacts/keys";
    router.Add(
        "GET", path,
        [&accounts, &contacts, organisation](const http::Request& req, const http::PathParams&) {
          auto auth = RequireSession(accounts, req, SessionNeed::kFull);
          if (!auth.ctx) return std::move(auth.error);
          auto keys =
              organisation ? contacts.ListOrganisationKeys(*auth.ctx) : contacts.List(*auth.ctx);
          if (!keys.ok()) return ApiError(keys.status());
          return http::Response::Json(200, KeysJson(*keys).dump());
        });
    router.Add(
        "POST", path,
        [&accounts, &contacts, organisation](const http::Request& req, const http::PathParams&) {
          auto auth = RequireSession(accounts, req, SessionNeed::kFull);
          if (!auth.ctx) return std::move(auth.error);
          const auto format = FormatOf(req);
          if (!format) return http::ProblemFor(Reason::kUnsupportedMediaType);
          const std::string address = req.QueryParam("address").value_or("");
          auto key = organisation ? contacts.ImportOrganisationKey(*auth.ctx, BodyBytes(req),
                                                                   *format, address)
                                  : contacts.Import(*auth.ctx, BodyBytes(req), *format, address);
          if (!key.ok()) return ApiError(key.status());
          return http::Response::Json(201, KeyJson(*key).dump());
        },
        upload_opts);
  }

  router.Add("GET", "/api/v1/contacts/keys/{id}",
             [&accounts, &contacts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto key = contacts.Get(*auth.ctx, params.at("id"));
               if (!key.ok()) return ApiError(key.status());
               return http::Response::Json(200, KeyJson(*key).dump());
             });

  router.Add("DELETE", "/api/v1/contacts/keys/{id}",
             [&accounts, &contacts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = contacts.Delete(*auth.ctx, params.at("id"));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });

  router.Add(
      "POST", "/api/v1/contacts/keys/{id}/verify",
      [&accounts, &contacts](const http::Request& req, const http::PathParams& params) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(req.body, {{"fingerprint", JsonType::kString}});
        if (!body.ok()) return ApiError(body.status());
        auto key = contacts.Verify(*auth.ctx, params.at("id"), StringField(*body, "fingerprint"));
        if (!key.ok()) return ApiError(key.status());
        return http::Response::Json(200, KeyJson(*key).dump());
      },
      verify_opts);

  for (const bool organisation : {false, true}) {
    const char* path =
        organisation ? "/api/v1/admin/keys/{id}/revoke" : "/api/v1/contacts/keys/{id}/revoke";
    router.Add(
        "POST", path,
        [&accounts, &contacts, organisation](const http::Request& req,
                                             const http::PathParams& params) {
          if (auto bad = RequireJsonContent(req)) return std::move(*bad);
          auto auth = RequireSession(accounts, req, SessionNeed::kFull);
          if (!auth.ctx) return std::move(auth.error);
          auto body = ParseJsonObject(req.body, {{"reason", JsonType::kString}});
          if (!body.ok()) return ApiError(body.status());
          const std::string reason = StringField(*body, "reason");
          auto key = organisation
                         ? contacts.RevokeOrganisationKey(*auth.ctx, params.at("id"), reason)
                         : contacts.Revoke(*auth.ctx, params.at("id"), reason);
          if (!key.ok()) return ApiError(key.status());
          return http::Response::Json(200, KeyJson(*key).dump());
        },
        verify_opts);
  }

  router.Add("DELETE", "/api/v1/admin/keys/{id}",
             [&accounts, &contacts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = contacts.DeleteOrganisationKey(*auth.ctx, params.at("id"));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });

  router.Add("GET", "/api/v1/admin/anchors",
             [&accounts, &contacts](const http::Request& req, const http::PathParams&) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto anchors = contacts.ListTrustAnchors(*auth.ctx);
               if (!anchors.ok()) return ApiError(anchors.status());
               json items = json::array();
               for (const auto& a : *anchors) items.push_back(AnchorJson(a));
               return http::Response::Json(200, json{{"items", items}}.dump());
             });

  router.Add(
      "POST", "/api/v1/admin/anchors",
      [&accounts, &contacts](const http::Request& req, const http::PathParams&) {
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto anchor = contacts.AddTrustAnchor(*auth.ctx, BodyBytes(req));
        if (!anchor.ok()) return ApiError(anchor.status());
        return http::Response::Json(201, AnchorJson(*anchor).dump());
      },
      upload_opts);

  router.Add("DELETE", "/api/v1/admin/anchors/{id}",
             [&accounts, &contacts](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const Status s = contacts.DeleteTrustAnchor(*auth.ctx, params.at("id"));
               if (!s.ok()) return ApiError(s);
               return http::Response::NoContent();
             });
}

}  // namespace sealpost::api
