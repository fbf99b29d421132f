// /api/v1 routes for guests (app/guests.h): unlock a pickup with link + MUC, download its
// attachments with the pickup token, and (for the sender) issue a new MUC.
//
// SECURITY: the link secret, MUC and pickup token travel only in the JSON body or a header,
// never in the URL, so no access log can hold them. Pickup answers are never cached and send no
// referrer (also set by http/ for every response; repeated here on purpose).
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "http/problem.h"

namespace sealpost::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxUnlockJsonBytes = 4096;
constexpr std::string_view kPickupTokenHeader = "X-Pickup-Token";

http::Response Private(http::Response r) {
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Referrer-Policy", "no-referrer");
  return r;
}

http::Response PickupNotFound() {
  return Private(http::Problem(404, "pickup-not-found", "No such message",
                               "the link is wrong, has expired or was withdrawn"));
}

json ViewJson(const app::PickupView& v) {
  const app::MessageHeader& h = v.message.header;
  json attachments = json::array();
  for (const auto& a : v.message.attachments) {
    attachments.push_back(
        {{"index", a.index}, {"name", a.name}, {"content_type", a.content_type}, {"size", a.size}});
  }
  return {{"id", h.id.str()},
          {"recipient", v.recipient},
          {"created_at", FormatRfc3339(h.created_at)},
          {"from", {{"email", h.from_email}, {"name", h.from_name}}},
          {"to", h.to},
          {"subject", h.subject},
          {"text", v.message.body.text},
          {"html", v.message.body.html},
          {"attachments", attachments},
          {"seal",
           {{"status", h.seal == app::SealState::kValid ? "valid" : "invalid"},
            {"signer", h.from_email}}},
          {"pickup_token", v.pickup_token},
          {"pickup_token_expires_at", FormatRfc3339(v.token_expires_at)}};
}

}  // namespace

void RegisterPickupRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  app::Guests& guests = deps.guests;

  router.Add(
      "POST", "/api/v1/pickup/unlock",
      [&guests](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return Private(std::move(*bad));
        auto body =
            ParseJsonObject(req.body, {{"link", JsonType::kString}, {"muc", JsonType::kString}});
        if (!body.ok()) return Private(ApiError(body.status()));
        app::UnlockOutcome outcome;
        auto view = guests.Unlock(StringField(*body, "link"), StringField(*body, "muc"),
                                  req.remote_address, &outcome);
        if (view.ok()) return Private(http::Response::Json(200, ViewJson(*view).dump()));
        switch (outcome.failure) {
          case app::UnlockFailure::kNotFound:
            return PickupNotFound();
          case app::UnlockFailure::kMucWrong: {
            http::Response r = http::Problem(403, "muc-wrong", "Wrong message unlock code",
                                             view.status().message());
            json problem = json::parse(r.body);
            problem["remaining_tries"] = outcome.remaining_tries;
            r.body = problem.dump();
            return Private(std::move(r));
          }
          case app::UnlockFailure::kMucLocked:
            return Private(http::Problem(423, "muc-locked", "Message unlock code locked",
                                         view.status().message()));
          case app::UnlockFailure::kThrottled: {
            http::Response r = http::Problem(429, "too-many-requests", "Too many failed attempts",
                                             "try again later");
            r.SetHeader("Retry-After", "900");
            return Private(std::move(r));
          }
          case app::UnlockFailure::kBadRequest:
          case app::UnlockFailure::kNone:
            break;
        }
        return Private(ApiError(view.status()));
      },
      http::RouteOptions{kMaxUnlockJsonBytes});

  router.Add("GET", "/api/v1/pickup/attachments/{index}",
             [&guests](const http::Request& req, const http::PathParams& params) {
               const auto token = req.Header(kPickupTokenHeader);
               int index = -1;
               const std::string& text = params.at("index");
               const auto [ptr, ec] =
                   std::from_chars(text.data(), text.data() + text.size(), index);
               if (!token || ec != std::errc() || ptr != text.data() + text.size()) {
                 return PickupNotFound();
               }
               auto download = guests.OpenAttachment(*token, index, req.remote_address);
               if (!download.ok()) {
                 return download.status().code() == ErrorCode::kNotFound
                            ? PickupNotFound()
                            : Private(ApiError(download.status()));
               }
               http::Response r;
               r.status = 200;
               r.SetHeader("Content-Type", "application/octet-stream");
               r.SetHeader("Content-Disposition", ContentDisposition(download->info.name));
               r.SetHeader("X-Sealpost-Content-Type", download->info.content_type);
               r.stream = std::make_unique<BlobBodySource>(std::move(download->reader));
               r.stream_length = download->info.size;
               return Private(std::move(r));
             });

  router.Add(
      "POST", "/api/v1/messages/{id}/recipients/{address}/muc",
      [&accounts, &guests](const http::Request& req, const http::PathParams& params) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto body = ParseJsonObject(
            req.body, {{"muc", JsonType::kString, false}, {"generate", JsonType::kBoolean, false}});
        if (!body.ok()) return ApiError(body.status());
        const bool generate = body->contains("generate") && body->at("generate").get<bool>();
        auto issued = guests.IssueMuc(*auth.ctx, params.at("id"), params.at("address"),
                                      StringField(*body, "muc"), generate);
        if (!issued.ok()) return ApiError(issued.status());
        json out = {{"address", params.at("address")}};
        if (!issued->empty()) out["generated_muc"] = *issued;
        return Private(http::Response::Json(200, out.dump()));
      },
      http::RouteOptions{kMaxUnlockJsonBytes});
}

}  // namespace sealpost::api
