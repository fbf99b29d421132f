#include "app/message_codec.h"

#include <nlohmann/json.hpp>

#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

using nlohmann::json;

json SummaryWithoutSeal(const MessageSummary& s) {
  json attachments = json::array();
  for (const auto& a : s.attachments) {
    attachments.push_back({{"name", a.name},
                           {"content_type", a.content_type},
                           {"size", a.size},
                           {"sha256", a.sha256_hex},
                           {"key", Base64Encode(a.key.ExposeSecret().view())}});
  }
  json j = {{"v", 1},
            {"id", s.id.str()},
            {"from", {{"email", s.from_email}, {"name", s.from_name}}},
            {"to", s.to},
            {"created_ms", s.created_ms},
            {"subject", s.subject},
            {"body_sha256", s.body_sha256_hex},
            {"attachments", attachments}};
  // Only when set, so that summaries written before threads existed keep their seal statement.
  if (!s.in_reply_to.empty()) j["in_reply_to"] = s.in_reply_to;
  if (!s.thread_id.empty()) j["thread"] = s.thread_id;
  if (const auto& r = s.received) {
    j["received"] = {{"envelope_from", r->envelope_from},
                     {"client", r->client_address},
                     {"spf", r->spf},
                     {"spf_domain", r->spf_domain},
                     {"dkim", r->dkim},
                     {"dkim_domain", r->dkim_domain},
                     {"protection", r->protection}};
  }
  if (!s.sealed_by.empty()) j["sealed_by"] = s.sealed_by;
  return j;
}

// Wipes the base64 attachment keys held in a summary's JSON value.
void WipeAttachmentKeys(json& j) {
  auto attachments = j.find("attachments");
  if (attachments == j.end() || !attachments->is_array()) return;
  for (json& a : *attachments) {
    auto key = a.find("key");
    if (key != a.end() && key->is_string()) crypto::WipeString(key->get_ref<std::string&>());
  }
}

// `text` into zeroizing memory; the std::string's buffer is wiped.
crypto::SecretBytes Secret(std::string& text) {
  crypto::SecretBytes out = crypto::SecretBytes::CopyOf(AsBytes(text));
  crypto::WipeString(text);
  return out;
}

}  // namespace

std::string SummaryAd(const MessageId& id, const UserId& sender) {
  return crypto::BindAd(crypto::kAdMessageSummary, {id.str(), sender.str()});
}

std::string BodyAd(const MessageId& id, const UserId& sender) {
  return crypto::BindAd(crypto::kAdMessageBody, {id.str(), sender.str()});
}

crypto::SecretBytes SealStatement(const MessageSummary& summary) {
  json j = SummaryWithoutSeal(summary);
  // nlohmann::json objects keep keys sorted, so dump() is canonical for our own encoder.
  std::string text = "sealpost-seal/v1\n" + j.dump();
  WipeAttachmentKeys(j);
  return Secret(text);
}

crypto::SecretBytes EncodeSummary(const MessageSummary& summary) {
  json j = SummaryWithoutSeal(summary);
  j["seal"] = Base64Encode(summary.seal);
  std::string text = j.dump();
  WipeAttachmentKeys(j);
  return Secret(text);
}

Result<MessageSummary> DecodeSummary(std::string_view text) {
  try {
    json j = json::parse(text);
    if (j.at("v").get<int>() != 1) return Corruption("unknown message summary version");
    MessageSummary s;
    SP_ASSIGN_OR_RETURN(s.id, MessageId::Parse(j.at("id").get<std::string>()));
    s.from_email = j.at("from").at("email").get<std::string>();
    s.from_name = j.at("from").at("name").get<std::string>();
    s.to = j.at("to").get<std::vector<std::string>>();
    s.created_ms = j.at("created_ms").get<int64_t>();
    s.subject = j.at("subject").get<std::string>();
    s.body_sha256_hex = j.at("body_sha256").get<std::string>();
    // The keys go straight from their base64 text into zeroizing memory; the text is wiped
    // whatever happens next.
    struct KeyTextWiper {
      json& j;
      ~KeyTextWiper() { WipeAttachmentKeys(j); }
    } wiper{j};
    for (auto& a : j.at("attachments")) {
      auto raw_key = crypto::Base64DecodeSecret(a.at("key").get_ref<const std::string&>());
      if (!raw_key.ok()) return Corruption("an attachment key in the message summary is malformed");
      auto key = crypto::BlobKey::FromSecret(std::move(*raw_key));
      if (!key.ok()) return Corruption("an attachment key in the message summary is malformed");
      s.attachments.push_back(
          {a.at("name").get<std::string>(), a.at("content_type").get<std::string>(),
           a.at("size").get<uint64_t>(), a.at("sha256").get<std::string>(), std::move(*key)});
    }
    if (j.contains("in_reply_to")) {
      SP_ASSIGN_OR_RETURN(const MessageId parent,
                          MessageId::Parse(j.at("in_reply_to").get<std::string>()));
      s.in_reply_to = parent.str();
    }
    if (j.contains("thread")) {
      SP_ASSIGN_OR_RETURN(const MessageId thread,
                          MessageId::Parse(j.at("thread").get<std::string>()));
      s.thread_id = thread.str();
    }
    if (j.contains("received")) {
      const json& r = j.at("received");
      s.received = ReceivedFromOutside{
          r.at("envelope_from").get<std::string>(), r.at("client").get<std::string>(),
          r.at("spf").get<std::string>(),           r.at("spf_domain").get<std::string>(),
          r.at("dkim").get<std::string>(),          r.at("dkim_domain").get<std::string>(),
          r.at("protection").get<std::string>()};
    }
    if (j.contains("sealed_by")) {
      s.sealed_by = j.at("sealed_by").get<std::string>();
      if (s.sealed_by != kSealedByGateway) return Corruption("unknown seal kind");
    }
    SP_ASSIGN_OR_RETURN(s.seal, Base64Decode(j.at("seal").get<std::string>()));
    return s;
  } catch (const json::exception&) {
    return Corruption("message summary is malformed");
  }
}

std::string EncodeBody(const MessageBody& body) {
  return json{{"text", body.text}, {"html", body.html}}.dump();
}

Result<MessageBody> DecodeBody(std::string_view text) {
  try {
    const json j = json::parse(text);
    return MessageBody{j.at("text").get<std::string>(), j.at("html").get<std::string>()};
  } catch (const json::exception&) {
    return Corruption("message body is malformed");
  }
}

}  // namespace sealpost::app
