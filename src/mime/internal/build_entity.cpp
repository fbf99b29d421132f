#include "mime/internal/build_entity.h"

#include <fmt/format.h>

#include <string_view>

#include "core/text.h"
#include "mime/internal/encoded_words.h"
#include "mime/internal/gmime_init.h"
#include "mime/internal/header_checks.h"

namespace sealpost::mime::internal {
namespace {

constexpr size_t kMaxReferences = 100;  // a thread longer than this keeps its newest ids

// Line ends made uniform (LF) before encoding; the writer turns each into CRLF.
std::string ToLf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

Status CheckMailbox(std::string_view what, const Mailbox& mailbox) {
  return CheckHeaderText(fmt::format("{} display name", what), mailbox.display_name);
}

}  // namespace

Status CheckOutgoingMessage(const OutgoingMessage& m) {
  SP_RETURN_IF_ERROR(CheckMailbox("From", m.from));
  for (const Mailbox& r : m.to) SP_RETURN_IF_ERROR(CheckMailbox("To", r));
  for (const Mailbox& r : m.cc) SP_RETURN_IF_ERROR(CheckMailbox("Cc", r));
  if (m.bcc_self) SP_RETURN_IF_ERROR(CheckMailbox("Bcc", *m.bcc_self));
  if (m.to.empty() && m.cc.empty() && !m.bcc_self) {
    return InvalidArgument("a message needs at least one recipient");
  }
  SP_RETURN_IF_ERROR(CheckHeaderText("Subject", m.subject));
  SP_RETURN_IF_ERROR(CheckMessageId("Message-ID", m.message_id));
  if (!m.in_reply_to.empty()) SP_RETURN_IF_ERROR(CheckMessageId("In-Reply-To", m.in_reply_to));
  for (const std::string& id : m.references) SP_RETURN_IF_ERROR(CheckMessageId("References", id));
  if (!IsValidUtf8(m.text_body)) return InvalidArgument("the text body is not valid UTF-8");
  if (m.html_body && !IsValidUtf8(*m.html_body)) {
    return InvalidArgument("the HTML body is not valid UTF-8");
  }
  for (const Attachment& a : m.attachments) {
    if (a.filename.empty()) return InvalidArgument("an attachment has no file name");
    SP_RETURN_IF_ERROR(CheckHeaderText("attachment file name", a.filename));
    SP_RETURN_IF_ERROR(CheckMediaType(a.content_type));
  }
  return Status::Ok();
}

namespace {

GObjectPtr<GMimeDataWrapper> WrapBytes(std::string_view bytes) {
  auto stream = Own(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  return Own(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
}

// text/<subtype>; charset=utf-8, quoted-printable: 7-bit on the wire whatever the text holds,
// and still readable where it is ASCII.
GObjectPtr<GMimeObject> TextPart(const char* subtype, std::string_view utf8) {
  auto part = Own(GMIME_OBJECT(g_mime_text_part_new_with_subtype(subtype)));
  g_mime_content_type_set_parameter(g_mime_object_get_content_type(part.get()), "charset", "utf-8");
  const std::string lf = ToLf(utf8);
  auto content = WrapBytes(lf);
  g_mime_part_set_content(GMIME_PART(part.get()), content.get());
  g_mime_part_set_content_encoding(GMIME_PART(part.get()), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  return part;
}

GObjectPtr<GMimeObject> AttachmentPart(const Attachment& a) {
  std::string_view media_type = a.content_type;
  // A composite type would make GMime (and every reader) parse the bytes as MIME structure, and
  // RFC 2046 §5.2.1 forbids base64 for message/*: such attachments travel as opaque bytes.
  const std::string lower = [&] {
    std::string s(media_type);
    for (char& c : s) c = static_cast<char>(g_ascii_tolower(c));
    return s;
  }();
  if (lower.rfind("multipart/", 0) == 0 || lower.rfind("message/", 0) == 0) {
    media_type = "application/octet-stream";
  }
  const size_t slash = media_type.find('/');
  const std::string type(media_type.substr(0, slash));
  const std::string subtype(media_type.substr(slash + 1));
  auto part = Own(GMIME_OBJECT(g_mime_part_new_with_type(type.c_str(), subtype.c_str())));
  g_mime_object_set_disposition(part.get(), GMIME_DISPOSITION_ATTACHMENT);
  // A name holding "=?…?=" would be decoded by readers (they decode RFC 2047 in quoted
  // parameters, as GMime and Python do): it is sent encoded, as subjects are.
  g_mime_part_set_filename(GMIME_PART(part.get()), EncodeIfAmbiguous(a.filename).c_str());
  // RFC 2231 values in UTF-8 (see AddMailbox), in both places the file name is written.
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(part.get());
  if (GMimeParam* p = g_mime_param_list_get_parameter(
          g_mime_content_disposition_get_parameters(disposition), "filename")) {
    g_mime_param_set_charset(p, "utf-8");
  }
  if (GMimeParam* p = g_mime_param_list_get_parameter(
          g_mime_content_type_get_parameters(g_mime_object_get_content_type(part.get())), "name")) {
    g_mime_param_set_charset(p, "utf-8");
  }
  auto content = WrapBytes(a.data);
  g_mime_part_set_content(GMIME_PART(part.get()), content.get());
  g_mime_part_set_content_encoding(GMIME_PART(part.get()), GMIME_CONTENT_ENCODING_BASE64);
  return part;
}

GObjectPtr<GMimeObject> Body(const OutgoingMessage& m) {
  GObjectPtr<GMimeObject> body = TextPart("plain", m.text_body);
  if (m.html_body) {
    auto alternative = Own(GMIME_OBJECT(g_mime_multipart_new_with_subtype("alternative")));
    g_mime_multipart_add(GMIME_MULTIPART(alternative.get()), body.get());
    auto html = TextPart("html", *m.html_body);
    g_mime_multipart_add(GMIME_MULTIPART(alternative.get()), html.get());
    body = std::move(alternative);
  }
  if (m.attachments.empty()) return body;
  auto mixed = Own(GMIME_OBJECT(g_mime_multipart_new_with_subtype("mixed")));
  g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), body.get());
  for (const Attachment& a : m.attachments) {
    auto part = AttachmentPart(a);
    g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), part.get());
  }
  return mixed;
}

}  // namespace

namespace {

GObjectPtr<InternetAddress> MailboxAddress(const Mailbox& mailbox) {
  const std::string name = EncodeIfAmbiguous(mailbox.display_name);
  auto address = Own(internet_address_mailbox_new(name.empty() ? nullptr : name.c_str(),
                                                  mailbox.address.str().c_str()));
  // UTF-8 in every encoded word, rather than GMime's pick (it would choose ISO-8859-1 where it
  // fits): one charset for everything Sealpost writes.
  internet_address_set_charset(address.get(), "utf-8");
  return address;
}

}  // namespace

void AddMailbox(GMimeMessage* message, GMimeAddressType type, const Mailbox& mailbox) {
  auto address = MailboxAddress(mailbox);
  internet_address_list_add(g_mime_message_get_addresses(message, type), address.get());
}

void AddMailboxes(GMimeMessage* message, GMimeAddressType type,
                  const std::vector<Mailbox>& mailboxes) {
  if (mailboxes.empty()) return;
  // Collected in a list of their own (nobody listens to it), then appended in one step: the
  // message re-encodes the field once.
  auto list = Own(internet_address_list_new());
  for (const Mailbox& mailbox : mailboxes) {
    auto address = MailboxAddress(mailbox);
    internet_address_list_add(list.get(), address.get());
  }
  internet_address_list_append(g_mime_message_get_addresses(message, type), list.get());
}

void SetThreadHeaders(GMimeObject* object, const OutgoingMessage& m) {
  if (!m.in_reply_to.empty()) {
    const std::string value = "<" + m.in_reply_to + ">";
    g_mime_object_set_header(object, "In-Reply-To", value.c_str(), nullptr);
  }
  if (!m.references.empty()) {
    const size_t first =
        m.references.size() > kMaxReferences ? m.references.size() - kMaxReferences : 0;
    std::string value;
    for (size_t i = first; i < m.references.size(); ++i) {
      if (!value.empty()) value += ' ';
      value += "<" + m.references[i] + ">";
    }
    g_mime_object_set_header(object, "References", value.c_str(), nullptr);
  }
}

Result<GObjectPtr<GMimeMessage>> BuildGMimeMessage(const OutgoingMessage& m) {
  SP_RETURN_IF_ERROR(CheckOutgoingMessage(m));
  EnsureGMimeInitialized();
  auto message = Own(g_mime_message_new(/*pretty_headers=*/TRUE));
  AddMailbox(message.get(), GMIME_ADDRESS_TYPE_FROM, m.from);
  AddMailboxes(message.get(), GMIME_ADDRESS_TYPE_TO, m.to);
  AddMailboxes(message.get(), GMIME_ADDRESS_TYPE_CC, m.cc);
  if (m.bcc_self) AddMailbox(message.get(), GMIME_ADDRESS_TYPE_BCC, *m.bcc_self);
  g_mime_message_set_subject(message.get(), EncodeIfAmbiguous(m.subject).c_str(), "utf-8");
  const GDateTimePtr date(g_date_time_new_from_unix_utc(ToUnixMillis(m.date) / 1000));
  if (date == nullptr) return InvalidArgument("the date is out of range");
  g_mime_message_set_date(message.get(), date.get());
  g_mime_message_set_message_id(message.get(), m.message_id.c_str());
  SetThreadHeaders(GMIME_OBJECT(message.get()), m);
  auto body = Body(m);
  g_mime_message_set_mime_part(message.get(), body.get());
  return message;
}

Result<std::string> WriteWithCrlf(GMimeObject* object) {
  EnsureGMimeInitialized();
  const FormatOptionsPtr options(g_mime_format_options_clone(nullptr));
  g_mime_format_options_set_newline_format(options.get(), GMIME_NEWLINE_FORMAT_DOS);
  auto stream = Own(g_mime_stream_mem_new());
  if (g_mime_object_write_to_stream(object, options.get(), stream.get()) < 0) {
    return Internal("GMime could not write the message");
  }
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

}  // namespace sealpost::mime::internal
