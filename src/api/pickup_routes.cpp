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
#include "api/message_json.h"
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

http::Response PickupNotFound() { return Private(http::ProblemFor(Reason::kPickupNotFound)); }

// Every pickup answer, failures included, is private.
http::Response PickupError(const Status& status) { return Private(ApiError(status)); }

json ViewJson(const app::PickupView& v, const app::Limits& limits) {
  json out = MessageHeaderJson(v.message.header);
  out.erase("folder");
  out.erase("unread");
  out["recipient"] = v.recipient;
  AddMessageContent(out, v.message);
  out["pickup_token"] = v.pickup_token;
  out["pickup_token_expires_at"] = FormatRfc3339(v.token_expires_at);
  out["expires_at"] = FormatRfc3339(v.expires_at);
  // Registered mail not accepted yet: nothing to answer (app/registered_mail.h).
  out["can_reply"] = v.message.withheld != app::Withheld::kNotAccepted;
  out["reply_all"] = v.reply_all;
  out["can_enrol"] = v.can_enrol;
  // A guest has no session to ask GET /account: what a reply may carry comes with the message.
  out["limits"] = {{"max_upload_bytes", limits.max_upload_bytes},
                   {"max_attachments", limits.max_attachments},
                   {"max_text_bytes", limits.max_text_bytes}};
  return out;
}

Result<app::ReplyRequest> ReplyRequestFrom(const http::Request& req) {
  SP_ASSIGN_OR_RETURN(const json body,
                      ParseJsonObject(req.body, {{"text", JsonType::kString, false},
                                                 {"html", JsonType::kString, false},
                                                 {"attachments", JsonType::kArray, false},
                                                 {"reply_all", JsonType::kBoolean, false}}));
  app::ReplyRequest r;
  r.text = StringField(body, "text");
  r.html = StringField(body, "html");
  r.reply_all = body.contains("reply_all") && body.at("reply_all").get<bool>();
  SP_ASSIGN_OR_RETURN(r.attachments, AttachmentRequestsFrom(body));
  return r;
}

}  // namespace

void RegisterPickupRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  app::Guests& guests = deps.guests;

  router.Add(
      "POST", "/api/v1/pickup/unlock",
      [&guests, &mailbox = deps.mailbox](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return Private(std::move(*bad));
        auto body =
            ParseJsonObject(req.body, {{"link", JsonType::kString}, {"muc", JsonType::kString}});
        if (!body.ok()) return PickupError(body.status());
        app::UnlockOutcome outcome;
        const crypto::SecretString link = SecretField(*body, "link");
        const crypto::SecretString muc = SecretField(*body, "muc");
        auto view = guests.Unlock(link.view(), muc.view(), req.remote_address, &outcome);
        if (view.ok()) {
          return Private(http::Response::Json(200, ViewJson(*view, mailbox.limits()).dump()));
        }
        if (outcome.failure == app::UnlockFailure::kMucWrong) {
          return Private(http::ProblemFromStatus(
              view.status(), json{{"remaining_tries", outcome.remaining_tries}}));
        }
        return PickupError(view.status());
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
               if (!download.ok()) return PickupError(download.status());
               http::Response r;
               r.status = 200;
               r.SetHeader("Content-Type", "application/octet-stream");
               r.SetHeader("Content-Disposition", ContentDisposition(download->info.name));
               r.SetHeader("X-Sealpost-Content-Type", download->info.content_type);
               r.stream = std::make_unique<BlobBodySource>(std::move(download->reader));
               r.stream_length = download->info.size;
               return Private(std::move(r));
             });

  router.AddUpload(
      "POST", "/api/v1/pickup/uploads",
      [&guests](const http::Request& req,
                const http::PathParams&) -> Result<std::unique_ptr<http::UploadSink>> {
        const auto token = req.Header(kPickupTokenHeader);
        if (!token) return NotFound("no pickup token").As(Reason::kPickupNotFound);
        SP_ASSIGN_OR_RETURN(auto session,
                            guests.BeginUpload(*token, req.content_length, req.remote_address));
        return std::unique_ptr<http::UploadSink>(new UploadSinkAdapter(std::move(session)));
      },
      http::RouteOptions{static_cast<size_t>(deps.max_upload_bytes), true});

  router.Add(
      "POST", "/api/v1/pickup/reply",
      [&guests](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return Private(std::move(*bad));
        const auto token = req.Header(kPickupTokenHeader);
        if (!token) return PickupNotFound();
        auto request = ReplyRequestFrom(req);
        if (!request.ok()) return PickupError(request.status());
        auto sent = guests.Reply(*token, *request, req.remote_address);
        if (!sent.ok()) return PickupError(sent.status());
        http::Response r =
            http::Response::Json(201, json{{"id", sent->id.str()}, {"to", sent->to}}.dump());
        return Private(std::move(r));
      },
      http::RouteOptions{deps.max_message_json_bytes});

  router.Add(
      "POST", "/api/v1/pickup/enrol",
      [&accounts, &guests](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return Private(std::move(*bad));
        const auto token = req.Header(kPickupTokenHeader);
        if (!token) return PickupNotFound();
        auto body = ParseJsonObject(req.body, {{"password", JsonType::kString},
                                               {"display_name", JsonType::kString, false}});
        if (!body.ok()) return PickupError(body.status());
        app::SignUpRequest request{"", SecretField(*body, "password"),
                                   StringField(*body, "display_name"), req.remote_address};
        auto enrolled = guests.Enrol(accounts, *token, std::move(request),
                                     req.Header("User-Agent").value_or(""));
        if (!enrolled.ok()) return PickupError(enrolled.status());
        http::Response r = SessionResponse(enrolled->session, 201);
        json out = json::parse(r.body);
        out["recovery_code"] = std::string(enrolled->account.recovery_code.AsStringView());
        r.body = out.dump();
        return Private(std::move(r));
      },
      http::RouteOptions{kMaxUnlockJsonBytes});

  router.Add(
      "POST", "/api/v1/pickup/claim",
      [&accounts, &guests](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return Private(std::move(*bad));
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return Private(std::move(auth.error));
        auto body = ParseJsonObject(
            req.body, {{"link", JsonType::kString}, {"muc", JsonType::kString, false}});
        if (!body.ok()) return PickupError(body.status());
        // The MUC only where the member holds no key of the address (signed up elsewhere).
        app::UnlockOutcome outcome;
        const crypto::SecretString muc = SecretField(*body, "muc");
        auto id = guests.Claim(*auth.ctx, StringField(*body, "link"), muc.view(),
                               req.remote_address, &outcome);
        if (!id.ok() && outcome.failure == app::UnlockFailure::kMucWrong) {
          return Private(http::ProblemFromStatus(
              id.status(), json{{"remaining_tries", outcome.remaining_tries}}));
        }
        if (!id.ok()) return PickupError(id.status());
        return Private(http::Response::Json(200, json{{"id", id->str()}}.dump()));
      },
      http::RouteOptions{kMaxUnlockJsonBytes});

  router.Add(
      "POST", "/api/v1/messages/{id}/muc",
      [&accounts, &guests](const http::Request& req, const http::PathParams& params) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        // The address is in the body: a path would put it into every access log.
        auto body = ParseJsonObject(req.body, {{"address", JsonType::kString},
                                               {"muc", JsonType::kString, false},
                                               {"generate", JsonType::kBoolean, false}});
        if (!body.ok()) return ApiError(body.status());
        const bool generate = body->contains("generate") && body->at("generate").get<bool>();
        const std::string address = StringField(*body, "address");
        const crypto::SecretString muc = SecretField(*body, "muc");
        auto issued = guests.IssueMuc(*auth.ctx, params.at("id"), address, muc.view(), generate);
        if (!issued.ok()) return ApiError(issued.status());
        json out = {{"address", address}};
        if (!issued->empty()) out["generated_muc"] = issued->view();
        return Private(http::Response::Json(200, out.dump()));
      },
      http::RouteOptions{kMaxUnlockJsonBytes});
}

}  // namespace sealpost::api
