// Fuzz target: the strict JSON input rules (api/json_input.h) with the field specs of real routes,
// and what the routes do next with a body that passed: string fields, attachment entries
// (api/message_json.h), the Content-Disposition built from an attachment name, the pickup link
// (auth::BearerSecret::Parse) and the problem answer for a refused body.
//
// Invariants checked: no crash or sanitizer report; an accepted body is an object holding only
// known fields of the declared types; every error is InvalidArgument and renders as a 400
// problem; a Content-Disposition value never contains a control character.
//
// SECURITY: the input is an attacker's request body (routes bound its size before parsing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/json_input.h"
#include "api/message_json.h"
#include "api/routes.h"
#include "auth/bearer_secret.h"
#include "http/problem.h"

namespace {

using sealpost::Status;
using sealpost::api::FieldSpec;
using sealpost::api::JsonType;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckRefusal(const Status& status) {
  Check(status.code() == sealpost::ErrorCode::kInvalidArgument);
  Check(sealpost::http::ProblemFromStatus(status).status == 400);
}

void CheckFields(const nlohmann::json& value, std::initializer_list<FieldSpec> spec) {
  Check(value.is_object());
  for (const auto& [key, v] : value.items()) {
    bool known = false;
    for (const FieldSpec& f : spec) known = known || f.name == key;
    Check(known);
    (void)v;
  }
}

// POST /api/v1/pickup/unlock: {link, muc}, then the link secret.
void Unlock(std::string_view body) {
  auto parsed = sealpost::api::ParseJsonObject(
      body, {{"link", JsonType::kString}, {"muc", JsonType::kString}});
  if (!parsed.ok()) return CheckRefusal(parsed.status());
  CheckFields(*parsed, {{"link", JsonType::kString}, {"muc", JsonType::kString}});
  const std::string link = sealpost::api::StringField(*parsed, "link");
  (void)sealpost::api::StringField(*parsed, "muc");
  auto secret = sealpost::auth::BearerSecret::Parse(link);
  if (secret.ok()) Check(secret->Encode() == link);
}

// POST /api/v1/messages: every JsonType, nested attachment objects.
void Send(std::string_view body) {
  const std::initializer_list<FieldSpec> spec = {{"to", JsonType::kStringArray},
                                                 {"subject", JsonType::kString, false},
                                                 {"text", JsonType::kString, false},
                                                 {"html", JsonType::kString, false},
                                                 {"attachments", JsonType::kArray, false},
                                                 {"mucs", JsonType::kObject, false},
                                                 {"generate_mucs", JsonType::kBoolean, false},
                                                 {"in_reply_to", JsonType::kString, false},
                                                 {"expires_in_days", JsonType::kInteger, false}};
  auto parsed = sealpost::api::ParseJsonObject(body, spec);
  if (!parsed.ok()) return CheckRefusal(parsed.status());
  CheckFields(*parsed, spec);
  Check(parsed->at("to").is_array());
  for (const auto& to : parsed->at("to")) Check(to.is_string());
  (void)sealpost::api::StringField(*parsed, "subject");
  (void)sealpost::api::StringField(*parsed, "in_reply_to");
  auto attachments = sealpost::api::AttachmentRequestsFrom(*parsed);
  if (!attachments.ok()) return CheckRefusal(attachments.status());
  for (const auto& a : *attachments) {
    for (const char c : sealpost::api::ContentDisposition(a.name)) {
      const auto u = static_cast<unsigned char>(c);
      Check(u >= 0x20 && u != 0x7f);
    }
  }
}

// POST /api/v1/account/register: required and optional strings.
void Register(std::string_view body) {
  auto parsed = sealpost::api::ParseJsonObject(body, {{"email", JsonType::kString},
                                                      {"password", JsonType::kString},
                                                      {"display_name", JsonType::kString, false}});
  if (!parsed.ok()) return CheckRefusal(parsed.status());
  Check(parsed->at("email").is_string() && parsed->at("password").is_string());
  (void)sealpost::api::StringField(*parsed, "display_name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Unlock(body);
  Send(body);
  Register(body);
  auto empty = sealpost::api::ParseJsonObject(body, {});
  if (!empty.ok()) {
    CheckRefusal(empty.status());
  } else {
    Check(empty->empty());
  }
  return 0;
}
