// /api/v1 routes for uploads, sending, folders, reading and attachment downloads.
#include <algorithm>
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

Result<app::SendRequest> SendRequestFrom(const http::Request& req) {
  SP_ASSIGN_OR_RETURN(RequestJson body,
                      ParseJsonObject(req.body, {{"to", JsonType::kStringArray, false},
                                                 {"cc", JsonType::kStringArray, false},
                                                 {"bcc", JsonType::kStringArray, false},
                                                 {"subject", JsonType::kString, false},
                                                 {"text", JsonType::kString, false},
                                                 {"html", JsonType::kString, false},
                                                 {"attachments", JsonType::kArray, false},
                                                 {"mucs", JsonType::kObject, false},
                                                 {"generate_mucs", JsonType::kBoolean, false},
                                                 {"in_reply_to", JsonType::kString, false},
                                                 {"expires_in_days", JsonType::kInteger, false},
                                                 {"force_pickup", JsonType::kBoolean, false},
                                                 {"registered", JsonType::kBoolean, false},
                                                 {"acceptance_days", JsonType::kInteger, false}}));
  app::SendRequest r;
  if (body.contains("to")) r.to = body.at("to").get<std::vector<std::string>>();
  if (body.contains("cc")) r.cc = body.at("cc").get<std::vector<std::string>>();
  if (body.contains("bcc")) r.bcc = body.at("bcc").get<std::vector<std::string>>();
  r.subject = StringField(body, "subject");
  r.text = StringField(body, "text");
  r.html = StringField(body, "html");
  if (body.contains("mucs")) {
    for (auto& [address, muc] : body.at("mucs").items()) {
      if (!muc.is_string()) {
        return InvalidArgument("each value of mucs must be a string").ShownToClient();
      }
      r.mucs[std::string(address)] = SecretValue(muc);
    }
  }
  r.generate_mucs = body.contains("generate_mucs") && body.at("generate_mucs").get<bool>();
  r.in_reply_to = StringField(body, "in_reply_to");
  r.force_pickup = body.contains("force_pickup") && body.at("force_pickup").get<bool>();
  SP_ASSIGN_OR_RETURN(r.attachments, AttachmentRequestsFrom(body));
  if (body.contains("expires_in_days")) {
    const RequestJson& days = body.at("expires_in_days");
    // Beyond any limit either way: clamp before converting, so no value wraps into range.
    r.expires_in_days =
        days.is_number_unsigned()
            ? static_cast<int64_t>(std::min<uint64_t>(days.get<uint64_t>(), 1u << 30))
            : std::max<int64_t>(days.get<int64_t>(), -1);
  }
  r.registered = body.contains("registered") && body.at("registered").get<bool>();
  if (body.contains("acceptance_days")) {
    const RequestJson& days = body.at("acceptance_days");
    r.acceptance_days =
        days.is_number_unsigned()
            ? static_cast<int64_t>(std::min<uint64_t>(days.get<uint64_t>(), 1u << 30))
            : std::max<int64_t>(days.get<int64_t>(), -1);
  }
  return r;
}

// Protected mail from outside is opened by the inbound reader (which reads the mailbox view
// first); without one, every message reads as stored.
Result<app::InboundView> ReadMessage(app::InboundReader* inbound, app::Mailbox& mailbox,
                                     const app::AuthContext& ctx, std::string_view id) {
  if (inbound != nullptr) return inbound->Read(ctx, id);
  SP_ASSIGN_OR_RETURN(app::MessageView view, mailbox.Read(ctx, id));
  return app::InboundView{std::move(view), std::nullopt};
}

}  // namespace

// RFC 6266 / RFC 8187: an ASCII fallback plus the exact UTF-8 name.
std::string ContentDisposition(std::string_view name) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
      encoded += static_cast<char>(c);
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, encoded);
}

void RegisterMailboxRoutes(http::Router& router, const ApiDeps& deps) {
  app::Accounts& accounts = deps.accounts;
  app::Mailbox& mailbox = deps.mailbox;
  app::Folders& folders = deps.folders;
  app::SentMessages& sent = deps.sent;

  router.AddUpload(
      "POST", "/api/v1/uploads",
      [&accounts, &mailbox](const http::Request& req,
                            const http::PathParams&) -> Result<std::unique_ptr<http::UploadSink>> {
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return auth.status;
        SP_ASSIGN_OR_RETURN(auto session, mailbox.BeginUpload(*auth.ctx, req.content_length));
        return std::unique_ptr<http::UploadSink>(new UploadSinkAdapter(std::move(session)));
      },
      http::RouteOptions{static_cast<size_t>(deps.max_upload_bytes), true});

  router.Add(
      "POST", "/api/v1/messages",
      [&accounts, &mailbox](const http::Request& req, const http::PathParams&) {
        if (auto bad = RequireJsonContent(req)) return std::move(*bad);
        auto auth = RequireSession(accounts, req, SessionNeed::kFull);
        if (!auth.ctx) return std::move(auth.error);
        auto request = SendRequestFrom(req);
        if (!request.ok()) return ApiError(request.status());
        app::SendOutcome outcome;
        auto id = mailbox.Send(*auth.ctx, *request, &outcome);
        if (!id.ok()) {
          // A refusal with evidence names the submission its receipts are about.
          json members = json::object();
          if (!outcome.muc_required.empty()) members["addresses"] = outcome.muc_required;
          if (!outcome.submission_id.empty()) members["submission_id"] = outcome.submission_id;
          // Bcc messages after the first failed: the ones sent stand (app/mailbox.h).
          if (outcome.partly_sent) members["partly_sent"] = true;
          return http::ProblemFromStatus(id.status(), members);
        }
        json out = {{"id", id->str()}};
        for (const auto& [address, bcc_id] : outcome.bcc_messages) {
          out["bcc_messages"][address] = bcc_id.str();
        }
        for (const auto& [address, muc] : outcome.generated_mucs) {
          out["generated_mucs"][address] = muc.view();
        }
        http::Response r = http::Response::Json(201, out.dump());
        r.SetHeader("Location", "/api/v1/messages/" + id->str());
        return r;
      },
      http::RouteOptions{deps.max_message_json_bytes});

  router.Add("GET", "/api/v1/mailbox/{folder}",
             [&accounts, &folders](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               const std::string& name = params.at("folder");
               if (name != "inbox" && name != "sent") {
                 return ApiError(NotFound("folders are inbox and sent").ShownToClient());
               }
               int limit = 50;
               if (auto text = req.QueryParam("limit")) {
                 const auto [ptr, ec] =
                     std::from_chars(text->data(), text->data() + text->size(), limit);
                 if (ec != std::errc() || ptr != text->data() + text->size()) {
                   return ApiError(InvalidArgument("limit must be a number"));
                 }
               }
               const std::optional<std::string> q = req.QueryParam("q");
               auto listed = folders.List(
                   *auth.ctx, name == "inbox" ? store::Folder::kInbox : store::Folder::kSent,
                   req.QueryParam("cursor").value_or(""), limit,
                   q ? std::optional<std::string_view>(*q) : std::nullopt);
               if (!listed.ok()) return ApiError(listed.status());
               const app::MailboxPage& page = listed->page;
               json items = json::array();
               for (const auto& m : page.items) {
                 if (m.header) {
                   items.push_back(MessageHeaderJson(*m.header));
                 } else {
                   items.push_back({{"id", m.id.str()},
                                    {"folder", name},
                                    {"unread", m.unread},
                                    {"created_at", FormatRfc3339(m.created_at)},
                                    {"seal", {{"status", "broken"}}}});
                 }
               }
               json out = {{"items", items}, {"next_cursor", nullptr}};
               if (page.next_cursor) out["next_cursor"] = *page.next_cursor;
               if (listed->lists_waiting) {
                 // Sent to the member's address before they enrolled, not re-sealed to them yet.
                 json list = json::array();
                 for (const auto& w : listed->waiting) {
                   list.push_back({{"id", w.id.str()},
                                   {"created_at", FormatRfc3339(w.created_at)},
                                   {"from", {{"email", w.from_email}, {"name", w.from_name}}}});
                 }
                 out["waiting"] = list;
               }
               return http::Response::Json(200, out.dump());
             });

  router.Add("GET", "/api/v1/messages/{id}",
             [&accounts, &mailbox, &sent, inbound = deps.inbound_reader](
                 const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               auto view = ReadMessage(inbound, mailbox, *auth.ctx, params.at("id"));
               if (!view.ok()) return ApiError(view.status());
               const app::MessageView& message = view->message;
               json out = MessageHeaderJson(message.header);
               AddMessageContent(out, message);
               if (view->signature) out["signature"] = SignatureJson(*view->signature);
               if (message.header.from_email == auth.ctx->user.email) {
                 auto status = sent.StatusOf(*auth.ctx, message.header);
                 if (status.ok()) AddSentStatus(out, *status);
               }
               return http::Response::Json(200, out.dump());
             });

  router.Add("GET", "/api/v1/messages/{id}/attachments/{index}",
             [&accounts, &mailbox](const http::Request& req, const http::PathParams& params) {
               auto auth = RequireSession(accounts, req, SessionNeed::kFull);
               if (!auth.ctx) return std::move(auth.error);
               int index = -1;
               const std::string& text = params.at("index");
               const auto [ptr, ec] =
                   std::from_chars(text.data(), text.data() + text.size(), index);
               if (ec != std::errc() || ptr != text.data() + text.size()) {
                 return ApiError(NotFound("attachment index is not a number"));
               }
               auto download = mailbox.OpenAttachment(*auth.ctx, params.at("id"), index);
               if (!download.ok()) return ApiError(download.status());
               http::Response r;
               r.status = 200;
               // Downloads are always served as opaque bytes: the browser must not render them
               // inline.
               r.SetHeader("Content-Type", "application/octet-stream");
               r.SetHeader("Content-Disposition", ContentDisposition(download->info.name));
               r.SetHeader("X-Sealpost-Content-Type", download->info.content_type);
               r.stream = std::make_unique<BlobBodySource>(std::move(download->reader));
               r.stream_length = download->info.size;
               return r;
             });
}

}  // namespace sealpost::api
