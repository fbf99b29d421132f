#include "app/internal/inbound_content.h"

#include <fmt/format.h>

#include "core/address.h"
#include "core/text.h"
#include "mime/message_parser.h"

namespace sealpost::app::internal {
namespace {

// The longest prefix of `text` of at most `max` bytes that ends on a UTF-8 boundary.
std::string Cut(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

std::string AddressText(const mime::ParsedMailbox& m) {
  auto parsed = EmailAddress::Parse(m.address);
  return parsed.ok() ? parsed->str() : Cut(m.address, EmailAddress::kMaxLength);
}

bool IsContentType(std::string_view t) {
  const size_t slash = t.find('/');
  if (t.empty() || t.size() > 127 || slash == std::string_view::npos || slash == 0 ||
      slash + 1 == t.size()) {
    return false;
  }
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '+' ||
                    c == '.' || (c == '/' && i == slash);
    if (!ok) return false;
  }
  return true;
}

std::string SafeName(std::string name, size_t index, size_t max) {
  for (char& c : name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  }
  name = Cut(std::move(name), max);
  if (name.empty() || name == "." || name == "..") name = fmt::format("attachment-{}", index);
  return name;
}

std::string ProtectionOf(const mime::ParsedMessage& m) {
  for (const auto& a : m.attachments) {
    if (a.content_type == "application/pkcs7-mime" ||
        a.content_type == "application/x-pkcs7-mime") {
      return "smime";
    }
    if (a.content_type == "application/pgp-encrypted") return "openpgp";
  }
  if (m.text_body.find("-----BEGIN PGP MESSAGE-----") != std::string::npos) return "openpgp";
  return "";
}

InboundContent ContentOf(Result<mime::ParsedMessage> parsed, const Limits& limits, bool outer) {
  InboundContent out;
  if (!parsed.ok()) {
    out.unreadable = parsed.status().message();
    return out;
  }
  mime::ParsedMessage& m = *parsed;
  if (!m.from.empty()) {
    out.from_email = AddressText(m.from.front());
    out.from_name = Cut(m.from.front().display_name, limits.max_display_name_bytes);
  }
  for (const auto* list : {&m.to, &m.cc}) {
    for (const auto& r : *list) {
      if (out.to.size() < limits.max_recipients) out.to.push_back(AddressText(r));
    }
  }
  out.subject = Cut(m.subject, limits.max_subject_bytes);
  if (outer) out.protection = ProtectionOf(m);
  if (!out.protection.empty()) return out;  // the content is ciphertext: opened at read time
  out.body.text = Cut(std::move(m.text_body), limits.max_text_bytes);
  if (m.html_body) out.body.html = Cut(std::move(*m.html_body), limits.max_html_bytes);
  // The original is the first attachment of the stored message; these follow it.
  for (auto& a : m.attachments) {
    if (out.attachments.size() + 1 >= limits.max_attachments) break;
    out.attachments.push_back(
        {SafeName(std::move(a.filename), out.attachments.size() + 1,
                  limits.max_attachment_name_bytes),
         IsContentType(a.content_type) ? a.content_type : "application/octet-stream",
         std::move(a.data)});
  }
  return out;
}

}  // namespace

InboundContent ReadInboundContent(std::string_view message, const Limits& limits) {
  return ContentOf(mime::ParseMessage(message), limits, true);
}

InboundContent ReadDecryptedContent(std::string_view outer_message, std::string_view payload,
                                    const Limits& limits) {
  return ContentOf(mime::ParseDecrypted(outer_message, payload), limits, false);
}

}  // namespace sealpost::app::internal
