// Header protection for an encrypted copy (RFC 9788, "Header Protection for Cryptographically
// Protected Email", July 2025), for the S/MIME and PGP/MIME wrappers of issue 12.
//
// The shape of what Sealpost sends (RFC 9788, "hp=cipher"):
//
//   outer message           From, To, Cc, Date, Message-ID, In-Reply-To, References,
//                           MIME-Version, Subject: [...]
//   └─ encrypted part       application/pkcs7-mime or multipart/encrypted (made by smime/, pgp/)
//      └─ cryptographic payload  = BuildProtectedInner(message): the whole message of
//         message_builder.h, whose top Content-Type carries hp="cipher", with every header field
//         (the real Subject, In-Reply-To, References, a Bcc recipient's own Bcc) and one
//         "HP-Outer: <name>: <value>" line per non-structural field of the outer message.
//
// The header confidentiality policy (RFC 9788 "HCP") is stricter than the RFC's hcp_baseline: the
// outer message keeps only what transport and the recipient's mailbox listing need (From, To,
// Cc, Date, Message-ID, and In-Reply-To/References, which name only messages, so that mail
// programs thread the copy; hcp_baseline keeps them too), and the Subject becomes "[...]".
// A reader that understands RFC 9788 shows the inner fields and ignores the outer ones. For the
// readers that do not (most mail programs in 2026), the body parts carry a Legacy Display Element
// (RFC 9788): the text part starts with "Subject: <real subject>" and an empty line, the
// HTML part with <div class="header-protection-legacy-display">, each part marked
// hp-legacy-display="1" so that RFC 9788 readers hide it (message_parser.h strips the text one).
//
// Pure; thread-safe (each call uses its own GMime objects).
//
// SECURITY: the same input checks as BuildMessage (no field can add a header). WrapEncrypted
// accepts only an entity whose header section holds Content-* fields and nothing else, so the
// crypto layer cannot add a transport header by mistake.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "mime/message.h"

namespace sealpost::mime {

inline constexpr std::string_view kObscuredSubject = "[...]";

// The cryptographic payload (the bytes to sign and encrypt), CRLF line ends.
Result<std::string> BuildProtectedInner(const OutgoingMessage& message);

// The outer message's header section, each field ending in CRLF, without the empty line that
// ends it: From, To, Cc, Subject: [...], Date, Message-ID, MIME-Version.
Result<std::string> BuildOuterHeaders(const OutgoingMessage& message);

// The complete outer message: BuildOuterHeaders, then `encrypted_part` — one MIME entity as
// smime/ or pgp/ wrote it ("Content-Type: application/pkcs7-mime; …" or
// "Content-Type: multipart/encrypted; …", its header section, an empty line, its body). Its line
// ends are made CRLF (its body is base64 or ASCII armour, which line ends do not change).
// InvalidArgument when `encrypted_part` has no Content-Type, or a header field that is not
// Content-*, or no empty line after its header section.
Result<std::string> WrapEncrypted(const OutgoingMessage& message, std::string_view encrypted_part);

// BuildProtectedInner and BuildOuterHeaders in one pass: the payload records the outer fields
// as HP-Outer, so they are built anyway. For a caller that builds the payload, has it signed and
// encrypted, and wraps it (delivery/secure_copy.h): the outer fields are built once per copy.
struct ProtectedCopy {
  std::string payload;        // what BuildProtectedInner(message) returns
  std::string outer_headers;  // what BuildOuterHeaders(message) returns
};
Result<ProtectedCopy> BuildProtected(const OutgoingMessage& message);

// WrapEncrypted with the outer header section BuildProtected made (`outer_headers` is used as
// it is: pass nothing else). The same checks of `encrypted_part`.
Result<std::string> WrapEncryptedWithHeaders(std::string_view outer_headers,
                                             std::string_view encrypted_part);

}  // namespace sealpost::mime
