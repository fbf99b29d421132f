#include "api/message_json.h"

#include "api/json_input.h"
#include "api/request_auth.h"

namespace sealpost::api {

using nlohmann::json;

namespace {

const char* SealKindName(app::SealKind kind) {
  switch (kind) {
    case app::SealKind::kPortal:
      return "portal";
    case app::SealKind::kInbound:
      return "inbound";
    case app::SealKind::kGatewayOnBehalf:
      return "gateway";
    case app::SealKind::kMember:
      break;
  }
  return "member";
}

}  // namespace

json MessageHeaderJson(const app::MessageHeader& h) {
  json out = {{"id", h.id.str()},
              {"folder", h.folder == store::Folder::kInbox ? "inbox" : "sent"},
              {"unread", h.unread},
              {"created_at", FormatRfc3339(h.created_at)},
              {"from", {{"email", h.from_email}, {"name", h.from_name}}},
              {"to", h.to},
              {"cc", h.cc},
              {"subject", h.subject},
              {"attachment_count", h.attachment_count},
              {"thread_id", h.thread_id},
              {"seal",
               {{"status", h.seal == app::SealState::kValid ? "valid" : "invalid"},
                {"signer", h.from_email},
                {"kind", SealKindName(h.seal_kind)}}}};
  if (!h.in_reply_to.empty()) out["in_reply_to"] = h.in_reply_to;
  // Only on a Bcc recipient's own message, naming that recipient (app/mailbox.h).
  if (!h.bcc.empty()) out["bcc"] = h.bcc;
  if (const auto& r = h.received) {
    out["received"] = {{"envelope_from", r->envelope_from},
                       {"client_address", r->client_address},
                       {"spf", {{"result", r->spf}, {"domain", r->spf_domain}}},
                       {"dkim", {{"result", r->dkim}, {"domain", r->dkim_domain}}},
                       {"protection", r->protection}};
  }
  if (h.registered) {
    static constexpr const char* kStates[] = {"pending", "accepted", "refused", "expired"};
    json registered = {{"state", kStates[static_cast<int>(h.registered->state)]},
                       {"deadline", FormatRfc3339(h.registered->deadline)}};
    if (h.registered->decided_at) {
      registered["decided_at"] = FormatRfc3339(*h.registered->decided_at);
    }
    out["registered"] = registered;
  }
  return out;
}

json AttachmentsJson(const std::vector<app::AttachmentInfo>& attachments) {
  json out = json::array();
  for (const auto& a : attachments) {
    out.push_back(
        {{"index", a.index}, {"name", a.name}, {"content_type", a.content_type}, {"size", a.size}});
  }
  return out;
}

void AddMessageContent(json& out, const app::MessageView& view) {
  out["text"] = view.body.text;
  out["html"] = view.body.html;
  out["attachments"] = AttachmentsJson(view.attachments);
  if (view.withheld != app::Withheld::kNone) {
    const ClientFace& face =
        DescribeForClient(ErrorCode::kConflict, view.withheld == app::Withheld::kSealBroken
                                                    ? Reason::kSealBroken
                                                    : Reason::kAcceptanceRequired);
    out["content_withheld"] = {{"reason", face.slug}, {"detail", face.text}};
  }
}

json SignatureJson(const app::SignatureCheck& check) {
  const char* state = "invalid";
  switch (check.state) {
    case app::SignatureCheck::State::kValid:
      state = "valid";
      break;
    case app::SignatureCheck::State::kUnknownSigner:
      state = "unknown_signer";
      break;
    case app::SignatureCheck::State::kInvalid:
      break;
  }
  return {{"method", check.method},
          {"state", state},
          {"signer", check.signer},
          {"detail", check.detail},
          {"content_shown", check.content_shown}};
}

Result<std::vector<app::AttachmentRequest>> AttachmentRequestsFrom(const RequestJson& body) {
  std::vector<app::AttachmentRequest> out;
  if (!body.contains("attachments")) return out;
  for (const RequestJson& a : body.at("attachments")) {
    SP_RETURN_IF_ERROR(CheckJsonObject(a, "an attachment",
                                       {{"upload_id", JsonType::kString},
                                        {"name", JsonType::kString},
                                        {"content_type", JsonType::kString, false}}));
    out.push_back(
        {StringField(a, "upload_id"), StringField(a, "name"), StringField(a, "content_type")});
  }
  return out;
}

http::Response UploadSinkAdapter::Finish() {
  auto result = session_->Finish();
  if (!result.ok()) return ApiError(result.status());
  return http::Response::Json(201, json{{"id", result->id.str()}, {"size", result->size}}.dump());
}

}  // namespace sealpost::api
