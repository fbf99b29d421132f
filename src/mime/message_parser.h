// ParseMessage: an RFC 5322 / MIME message (RFC 2045-2049) → its header fields decoded to UTF-8
// (RFC 2047 encoded words, RFC 2231 parameters), its text and HTML bodies and its attachments.
// For the SMTP gateway (what mail programs submit) and for inbound S/MIME and OpenPGP (what
// decryption yields). Header protection (RFC 9788): when the cryptographic payload carries
// hp="cipher" or hp="clear", its header fields are the message's and the outer ones are ignored
// (RFC 9788: no merging); its HP-Outer fields are returned as they are.
//
// Which part is what: the first text/plain and the first text/html leaf that are not attachments
// (no Content-Disposition: attachment) are the bodies; every other leaf is an attachment. In
// multipart/signed only the signed content is read (the signature is the crypto layer's); a
// message/rfc822 part is one attachment holding the whole inner message. A text body marked
// hp-legacy-display="1" has its Legacy Display Element (RFC 9788: the leading header lines
// and the empty line after them) removed.
//
// Pure; thread-safe (each call uses its own GMime objects).
//
// SECURITY: the bytes are untrusted (any SMTP client, any sender of encrypted mail). Bounds come
// from crypto::policy::kMimeParse (size, header fields, field length, nesting depth, number of
// parts); past one, TooLarge, and nothing is returned. The nesting is bounded before GMime
// parses (GMime descends recursively): the number of Content-Type fields that could declare a
// container is counted first. Every decoded text is valid UTF-8 (invalid sequences replaced
// with U+FFFD); header values hold no control characters (replaced with a space), so they can be
// put back into a header or a log line without injecting anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace sealpost::mime {

struct ParsedMailbox {
  std::string display_name;  // UTF-8, may be empty
  std::string address;       // as written (not validated as an EmailAddress)
};

struct ParsedAttachment {
  std::string filename;      // UTF-8 (RFC 2231 / RFC 2047 decoded); may be empty
  std::string content_type;  // "type/subtype", lower case
  std::string data;          // the decoded bytes
};

enum class HeaderProtection { kNone, kCipher, kClear };

struct ParsedMessage {
  std::vector<ParsedMailbox> from;
  std::vector<ParsedMailbox> to;
  std::vector<ParsedMailbox> cc;
  std::vector<ParsedMailbox> bcc;
  std::vector<ParsedMailbox> reply_to;
  std::string subject;
  std::optional<TimePoint> date;  // empty when absent or unreadable
  std::string message_id;         // without angle brackets
  std::string in_reply_to;
  std::vector<std::string> references;
  std::string text_body;  // UTF-8, line ends as in the message after decoding
  std::optional<std::string> html_body;
  std::vector<ParsedAttachment> attachments;
  // The decoded signature parts of multipart/signed (RFC 1847: the second part, e.g.
  // application/pkcs7-signature), for the crypto layer; not verified here.
  std::vector<std::string> signatures;
  HeaderProtection header_protection = HeaderProtection::kNone;
  // RFC 9788 HP-Outer fields of a protected payload: (field name, value) in order.
  std::vector<std::pair<std::string, std::string>> hp_outer;
};

// InvalidArgument when the bytes are not a message GMime can read; TooLarge past a limit.
Result<ParsedMessage> ParseMessage(std::string_view message);

// A decrypted message: the header fields come from `decrypted_payload` when it is header-protected
// (RFC 9788), otherwise from `outer_message`; the bodies always from `decrypted_payload`.
Result<ParsedMessage> ParseDecrypted(std::string_view outer_message,
                                     std::string_view decrypted_payload);

}  // namespace sealpost::mime
