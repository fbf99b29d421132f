#include "mime/header_protection.h"

#include <string_view>
#include <utility>
#include <vector>

#include "mime/internal/build_entity.h"
#include "mime/internal/gmime_init.h"

namespace sealpost::mime {
namespace {

using internal::GCharPtr;
using internal::GObjectPtr;
using internal::Own;

// The outer message's fields, as GMime formats them (so HP-Outer records exactly the outer text).
Result<GObjectPtr<GMimeMessage>> OuterMessage(const OutgoingMessage& message) {
  SP_RETURN_IF_ERROR(internal::CheckOutgoingMessage(message));
  internal::EnsureGMimeInitialized();
  auto built = Own(g_mime_message_new(/*pretty_headers=*/TRUE));
  GMimeMessage* m = built.get();
  internal::AddMailbox(m, GMIME_ADDRESS_TYPE_FROM, message.from);
  for (const Mailbox& r : message.to) internal::AddMailbox(m, GMIME_ADDRESS_TYPE_TO, r);
  for (const Mailbox& r : message.cc) internal::AddMailbox(m, GMIME_ADDRESS_TYPE_CC, r);
  if (message.to.empty() && message.cc.empty()) {
    // A Bcc copy names nobody outside: the group syntax of RFC 5322 §3.6.3 says so.
    g_mime_object_set_header(GMIME_OBJECT(m), "To", "undisclosed-recipients:;", nullptr);
  }
  g_mime_message_set_subject(m, std::string(kObscuredSubject).c_str(), "utf-8");
  const internal::GDateTimePtr date(
      g_date_time_new_from_unix_utc(ToUnixMillis(message.date) / 1000));
  if (date == nullptr) return InvalidArgument("the date is out of range");
  g_mime_message_set_date(m, date.get());
  g_mime_message_set_message_id(m, message.message_id.c_str());
  return built;
}

// "Name: value" pairs of a header list, values unfolded (RFC 5322 §2.2.3) as they are on the wire.
std::vector<std::pair<std::string, std::string>> Fields(GMimeObject* object) {
  std::vector<std::pair<std::string, std::string>> fields;
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  const int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
    const GCharPtr unfolded(g_mime_utils_header_unfold(g_mime_header_get_raw_value(header)));
    std::string value = unfolded ? unfolded.get() : "";
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    fields.emplace_back(g_mime_header_get_name(header), std::move(value));
  }
  return fields;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         g_ascii_strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string ToCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The encrypted entity's header section may hold Content-* fields only (and continuation lines).
Status CheckEncryptedPart(std::string_view part) {
  bool content_type = false;
  size_t pos = 0;
  while (true) {
    const size_t end = part.find("\r\n", pos);
    if (end == std::string_view::npos) {
      return InvalidArgument("the encrypted part has no empty line after its header section");
    }
    const std::string_view line = part.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      if (pos == line.size() + 2) return InvalidArgument("the encrypted part starts folded");
      continue;
    }
    if (!StartsWithNoCase(line, "content-")) {
      return InvalidArgument("the encrypted part has a header field that is not Content-*");
    }
    if (StartsWithNoCase(line, "content-type:")) content_type = true;
  }
  if (!content_type) return InvalidArgument("the encrypted part has no Content-Type");
  return Status::Ok();
}

}  // namespace

Result<std::string> BuildProtectedInner(const OutgoingMessage& message) {
  SP_ASSIGN_OR_RETURN(auto inner, internal::BuildGMimeMessage(message));
  SP_ASSIGN_OR_RETURN(auto outer, OuterMessage(message));
  GMimeObject* payload = g_mime_message_get_mime_part(inner.get());
  g_mime_content_type_set_parameter(g_mime_object_get_content_type(payload), "hp", "cipher");
  for (const auto& [name, value] : Fields(GMIME_OBJECT(outer.get()))) {
    const std::string record = name + ": " + value;
    g_mime_object_append_header(GMIME_OBJECT(inner.get()), "HP-Outer", record.c_str(), nullptr);
  }
  return internal::WriteWithCrlf(GMIME_OBJECT(inner.get()));
}

Result<std::string> BuildOuterHeaders(const OutgoingMessage& message) {
  SP_ASSIGN_OR_RETURN(auto outer, OuterMessage(message));
  GMimeObject* object = GMIME_OBJECT(outer.get());
  g_mime_object_set_header(object, "MIME-Version", "1.0", nullptr);
  const internal::FormatOptionsPtr options(g_mime_format_options_clone(nullptr));
  g_mime_format_options_set_newline_format(options.get(), GMIME_NEWLINE_FORMAT_DOS);
  const GCharPtr text(
      g_mime_header_list_to_string(g_mime_object_get_header_list(object), options.get()));
  if (!text) return Internal("GMime could not write the outer header section");
  return ToCrlf(text.get());
}

Result<std::string> WrapEncrypted(const OutgoingMessage& message, std::string_view encrypted_part) {
  std::string part = ToCrlf(encrypted_part);
  SP_RETURN_IF_ERROR(CheckEncryptedPart(part));
  SP_ASSIGN_OR_RETURN(std::string headers, BuildOuterHeaders(message));
  return headers + part;
}

}  // namespace sealpost::mime
