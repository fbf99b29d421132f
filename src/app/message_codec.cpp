#include "app/message_codec.h"

#include <nlohmann/json.hpp>

#include "app/internal/json_text.h"
#include "crypto/ad_labels.h"
#include "crypto/wiping_allocator.h"

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
  // Only when set, so that summaries written before threads (or Cc and Bcc) existed keep their
  // seal statement.
  if (!s.cc.empty()) j["cc"] = s.cc;
  if (!s.bcc.empty()) j["bcc"] = s.bcc;
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

constexpr std::string_view kSealPrefix = "sealpost-seal/v1\n";

// What AppendSummary writes, give or take escapes: to reserve once.
size_t EstimatedSize(const MessageSummary& s) {
  size_t n = 512 + s.from_email.size() + s.from_name.size() + s.subject.size() +
             s.body_sha256_hex.size() + s.in_reply_to.size() + s.thread_id.size();
  for (const auto* list : {&s.to, &s.cc, &s.bcc}) {
    for (const auto& address : *list) n += address.size() + 3;
  }
  for (const auto& a : s.attachments) {
    n += 160 + a.name.size() + a.content_type.size() + a.sha256_hex.size();
  }
  if (const auto& r = s.received) {
    n += 128 + r->envelope_from.size() + r->client_address.size() + r->spf.size() +
         r->spf_domain.size() + r->dkim.size() + r->dkim_domain.size() + r->protection.size();
  }
  return n;
}

// The summary's JSON as SummaryWithoutSeal(s).dump() writes it (keys in sorted order), with
// "seal" when `seal_base64` is given, appended to `out` without a json tree. False when a text
// is not valid UTF-8 (dump() would throw); `out` then holds a part and is dropped.
bool AppendSummary(crypto::WipedString& out, const MessageSummary& s,
                   const std::string* seal_base64) {
  using internal::AppendJsonString;
  bool ok = true;
  auto field = [&](std::string_view key_and_colon, std::string_view value) {
    out.append(key_and_colon);
    ok = ok && AppendJsonString(out, value);
  };
  // A list of addresses: `key_and_colon` then the JSON array.
  auto list = [&](std::string_view key_and_colon, const std::vector<std::string>& values) {
    out.append(key_and_colon);
    out.push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out.push_back(',');
      ok = ok && AppendJsonString(out, values[i]);
    }
    out.push_back(']');
  };
  out.append(R"({"attachments":[)");
  for (size_t i = 0; i < s.attachments.size(); ++i) {
    const AttachmentMeta& a = s.attachments[i];
    if (i > 0) out.push_back(',');
    field(R"({"content_type":)", a.content_type);
    std::string key = Base64Encode(a.key.ExposeSecret().view());
    field(R"(,"key":)", key);  // base64: nothing to escape
    crypto::WipeString(key);
    field(R"(,"name":)", a.name);
    field(R"(,"sha256":)", a.sha256_hex);
    out.append(R"(,"size":)");
    internal::AppendJsonUnsigned(out, a.size);
    out.push_back('}');
  }
  out.push_back(']');
  if (!s.bcc.empty()) list(R"(,"bcc":)", s.bcc);
  field(R"(,"body_sha256":)", s.body_sha256_hex);
  if (!s.cc.empty()) list(R"(,"cc":)", s.cc);
  out.append(R"(,"created_ms":)");
  internal::AppendJsonInteger(out, s.created_ms);
  field(R"(,"from":{"email":)", s.from_email);
  field(R"(,"name":)", s.from_name);
  field(R"(},"id":)", s.id.str());
  if (!s.in_reply_to.empty()) field(R"(,"in_reply_to":)", s.in_reply_to);
  if (const auto& r = s.received) {
    field(R"(,"received":{"client":)", r->client_address);
    field(R"(,"dkim":)", r->dkim);
    field(R"(,"dkim_domain":)", r->dkim_domain);
    field(R"(,"envelope_from":)", r->envelope_from);
    field(R"(,"protection":)", r->protection);
    field(R"(,"spf":)", r->spf);
    field(R"(,"spf_domain":)", r->spf_domain);
    out.push_back('}');
  }
  if (seal_base64 != nullptr) field(R"(,"seal":)", *seal_base64);
  if (!s.sealed_by.empty()) field(R"(,"sealed_by":)", s.sealed_by);
  field(R"(,"subject":)", s.subject);
  if (!s.thread_id.empty()) field(R"(,"thread":)", s.thread_id);
  list(R"(,"to":)", s.to);
  out.append(R"(,"v":1})");
  return ok;
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
  crypto::WipedString text;
  text.reserve(kSealPrefix.size() + EstimatedSize(summary));
  text.append(kSealPrefix);
  if (AppendSummary(text, summary, nullptr)) return crypto::SecretBytes::CopyOf(AsBytes(text));
  // Not valid UTF-8: dump() throws, as it always did here.
  json j = SummaryWithoutSeal(summary);
  // nlohmann::json objects keep keys sorted, so dump() is canonical for our own encoder.
  std::string dumped = std::string(kSealPrefix) + j.dump();
  WipeAttachmentKeys(j);
  return Secret(dumped);
}

crypto::SecretBytes EncodeSummary(const MessageSummary& summary) {
  std::string seal = Base64Encode(summary.seal);
  crypto::WipedString text;
  text.reserve(EstimatedSize(summary) + seal.size());
  if (AppendSummary(text, summary, &seal)) return crypto::SecretBytes::CopyOf(AsBytes(text));
  json j = SummaryWithoutSeal(summary);  // not valid UTF-8: dump() throws, as it always did
  j["seal"] = std::move(seal);
  std::string dumped = j.dump();
  WipeAttachmentKeys(j);
  return Secret(dumped);
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
    // Absent in summaries written before Cc and Bcc: empty.
    if (j.contains("cc")) s.cc = j.at("cc").get<std::vector<std::string>>();
    if (j.contains("bcc")) s.bcc = j.at("bcc").get<std::vector<std::string>>();
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
  std::string out;
  out.reserve(body.text.size() + body.html.size() + body.text.size() / 16 + 32);
  out.append(R"({"html":)");
  bool valid = internal::AppendJsonString(out, body.html);
  out.append(R"(,"text":)");
  valid = valid && internal::AppendJsonString(out, body.text);
  out.push_back('}');
  if (valid) return out;
  return json{{"text", body.text}, {"html", body.html}}.dump();  // throws, as it always did
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
