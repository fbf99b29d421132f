// JSON shapes shared by the member and the pickup routes: message headers with their seal,
// attachment lists, attachment requests, and the upload sink both kinds of upload use.
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "app/inbound_reader.h"
#include "app/mailbox.h"
#include "http/router.h"

namespace sealpost::api {

// id, folder, unread, created_at, from, to, subject, attachment_count, thread_id, in_reply_to?,
// seal {status, signer, kind: "member" | "portal"}, registered? {state, deadline, decided_at?}.
nlohmann::json MessageHeaderJson(const app::MessageHeader& h);
nlohmann::json AttachmentsJson(const std::vector<app::AttachmentInfo>& attachments);
// text, html and attachments of a read message; when app/ withheld them (a broken seal, or
// registered mail not accepted), they are empty and "content_withheld": {reason, detail} says
// why, in the problem catalogue's words (seal-broken, acceptance-required).
void AddMessageContent(nlohmann::json& out, const app::MessageView& view);
// The "signature" of protected mail from outside (app/inbound_reader.h): {method: "S/MIME" |
// "OpenPGP", state: "valid" | "invalid" | "unknown_signer", signer, detail, content_shown}.
nlohmann::json SignatureJson(const app::SignatureCheck& check);
// The optional "attachments" array of a send or reply body: [{upload_id, name, content_type?}].
Result<std::vector<app::AttachmentRequest>> AttachmentRequestsFrom(const RequestJson& body);

// An upload as it streams in; Finish answers 201 {id, size}.
class UploadSinkAdapter final : public http::UploadSink {
 public:
  explicit UploadSinkAdapter(std::unique_ptr<app::UploadSession> session)
      : session_(std::move(session)) {}
  Status Write(ByteView chunk) override { return session_->Write(chunk); }
  http::Response Finish() override;
  void Abort() override { session_->Abort(); }

 private:
  std::unique_ptr<app::UploadSession> session_;
};

}  // namespace sealpost::api
