// BuildMessage: the RFC 5322 / MIME bytes of one recipient's copy of a message, ready to be
// signed and encrypted (S/MIME, PGP/MIME) or, with header_protection.h, wrapped for RFC 9788.
//
// Structure: a text/plain body; with an HTML body, multipart/alternative (text, then HTML); with
// attachments, multipart/mixed (the body first, then one part per attachment, each with
// Content-Disposition: attachment and its file name). Text is UTF-8 in quoted-printable,
// attachments are base64: the output is 7-bit, so no relay can alter it (RFC 8551 §3.1.2). Every
// line ends in CRLF. Header fields: From, To, Cc (Bcc only in a Bcc recipient's own copy, naming
// that recipient), Subject (RFC 2047 when not ASCII), Date, Message-ID, In-Reply-To, References,
// MIME-Version. Attachment file names that are not ASCII are encoded per RFC 2231.
//
// Pure (no I/O, no clock: the date is in the message); thread-safe (each call uses its own GMime
// objects).
//
// SECURITY: the fields come from a member's compose form or an SMTP submission. No field can add
// a header or a MIME part: header text with CR, LF, NUL or any other control character is refused
// with InvalidArgument (nothing is silently dropped), addresses are EmailAddress values, message
// ids are checked for msg-id syntax, and no content can end a part early: GMime's boundaries start
// with "=-", which quoted-printable and base64 never put at the start of a line. Text must be
// valid UTF-8.
#pragma once

#include <string>

#include "core/status.h"
#include "mime/message.h"

namespace sealpost::mime {

Result<std::string> BuildMessage(const OutgoingMessage& message);

}  // namespace sealpost::mime
