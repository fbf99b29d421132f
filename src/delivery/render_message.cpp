// RenderMessage: the RFC 5322 / MIME text of the system mail Sealpost sends (notifications,
// address verification, delivery reports). Pure: no I/O, no clock, no randomness.
//
// SECURITY: subject, text and HTML may carry user-chosen text (a sender's name, a subject). None
// of it can add a header or a MIME part: header text is stripped of CR/LF and encoded per
// RFC 2047 when not plain ASCII; bodies are quoted-printable, whose output never contains the
// "=_" that starts our boundary.
#include <ctime>

#include <fmt/format.h>

#include "core/encoding.h"
#include "delivery/dkim_signer.h"
#include "delivery/mailer.h"

namespace sealpost::delivery {
namespace {

constexpr size_t kMaxQpLine = 76;        // RFC 2045 §6.7 (5)
constexpr size_t kMaxPlainHeader = 900;  // longer ASCII header text is encoded (and so folded)
constexpr size_t kMaxWordPayload = 45;   // 45 octets → 60 base64 chars → 72-char encoded-word

bool IsPrintableAscii(std::string_view s) {
  for (const unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

std::string Rfc5322Date(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(ToUnixMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// "Display Name <addr>": only the display name is encoded, never the address.
std::string EncodeMailbox(std::string_view mailbox) {
  const size_t open = mailbox.rfind('<');
  if (open == std::string_view::npos || open == 0) return EncodeHeaderText(mailbox);
  std::string_view name = mailbox.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  std::string address;
  for (const char c : mailbox.substr(open)) address += (c == '\r' || c == '\n') ? ' ' : c;
  return EncodeHeaderText(name) + " " + address;
}

std::string Part(std::string_view content_type, std::string_view body) {
  return fmt::format(
      "Content-Type: {}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
      content_type, QuotedPrintable(body));
}

}  // namespace

std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 8);
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    // A CR is only ever part of a line end: a stray one is dropped, as the SMTP layer did.
    std::string line;
    for (const char c : text.substr(pos, end - pos)) {
      if (c != '\r') line += c;
    }
    size_t width = 0;  // of the output line so far
    for (size_t i = 0; i < line.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      std::string token;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
        token = static_cast<char>(c);
      } else {
        token = {'=', kHex[c >> 4], kHex[c & 0xf]};
      }
      // A soft break ("=" at the end) must itself fit: keep one column free unless this is the
      // line's final token.
      const size_t room = at_end ? kMaxQpLine : kMaxQpLine - 1;
      if (width + token.size() > room) {
        out += "=\r\n";
        width = 0;
      }
      out += token;
      width += token.size();
    }
    if (last) {
      if (!line.empty()) out += "\r\n";
      break;
    }
    out += "\r\n";
    pos = end + 1;
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (const char c : text) clean += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  // An ASCII text that looks like an encoded-word is encoded too, so it reads back as itself.
  if (IsPrintableAscii(clean) && clean.size() <= kMaxPlainHeader &&
      clean.find("=?") == std::string::npos) {
    return clean;
  }
  std::string out;
  size_t pos = 0;
  while (pos < clean.size()) {
    size_t n = std::min(kMaxWordPayload, clean.size() - pos);
    // Never split a UTF-8 sequence across words (RFC 2047 §5 (3)): back up over continuation
    // bytes so the next word starts on a lead byte.
    while (pos + n < clean.size() && n > 1 &&
           (static_cast<unsigned char>(clean[pos + n]) & 0xC0) == 0x80) {
      --n;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Encode(AsBytes(std::string_view(clean).substr(pos, n))) + "?=";
    pos += n;
  }
  return out;
}

std::string RenderMessage(const OutgoingMail& mail, const std::string& from,
                          const std::string& message_id, TimePoint date) {
  std::string out = fmt::format(
      "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}>\r\n"
      "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n",
      EncodeMailbox(from), mail.to.str(), EncodeHeaderText(mail.subject), Rfc5322Date(date),
      message_id);
  if (mail.html.empty()) {
    out += Part("text/plain", mail.text);
    return out;
  }
  // "=_" never occurs in quoted-printable output (a "=" is followed by hex digits or a line end),
  // so the boundary cannot occur in either part.
  const std::string boundary = "=_sealpost_" + HexEncode(AsBytes(message_id)).substr(0, 32);
  out += fmt::format("Content-Type: multipart/alternative;\r\n boundary=\"{}\"\r\n\r\n", boundary);
  out += "--" + boundary + "\r\n" + Part("text/plain", mail.text);
  out += "\r\n--" + boundary + "\r\n" + Part("text/html", mail.html);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

Result<std::string> RenderSignedMessage(const OutgoingMail& mail, const std::string& from,
                                        const std::string& message_id, TimePoint date,
                                        const DkimSigner* dkim) {
  std::string message = mail.raw.empty() ? RenderMessage(mail, from, message_id, date) : mail.raw;
  if (dkim == nullptr) return message;
  Result<std::string> signature = dkim->Sign(message);
  if (!signature.ok()) return Unavailable(signature.status().message());
  return *signature + message;
}

}  // namespace sealpost::delivery
