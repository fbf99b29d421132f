// BuildSecureCopy: one recipient's copy of a message, signed and encrypted for that recipient's
// S/MIME certificate or OpenPGP key, with RFC 9788 header protection — the complete RFC 5322
// bytes the delivery path hands to SMTP (docs/formats/secure-copy.md).
//
//   S/MIME (RFC 8551): outer headers (Subject: [...]) + application/pkcs7-mime
//       (AuthEnvelopedData AES-256-GCM or EnvelopedData AES-256-CBC, by DecideEnvelope)
//       └ application/pkcs7-mime signed-data (SHA-256, the sender's certificate and chain)
//         └ the protected payload (mime::BuildProtectedInner: real Subject, hp=cipher)
//   OpenPGP (RFC 3156): outer headers (Subject: [...]) + multipart/encrypted
//       └ one OpenPGP message: AES-256 SEIPD, signed (Ed25519, SHA-256) by the sender's key
//         └ the protected payload, as above
//
// The assembly only: MIME comes from mime/, cryptography from smime/ and pgp/. This file
// checks what binds the parts together: the copy is for `recipient` (who is in To or Cc, or is
// the one Bcc the copy names), the recipient's key is for that address, the signing keys are the
// sender's (From), and the sizes stay within crypto::policy::kSecureCopy.
//
// Not done here: choosing the method (routing), validating the recipient's certificate or key
// (the key directory does that before: smime::ValidateCertificate, pgp::ImportPublicKey), and
// sending.
//
// Pure (the time is a parameter); thread-safe: calls may run concurrently, also with the same
// signing keys (smime::CertifiedKey and pgp::MemberKey allow that).
//
// SECURITY: the message fields come from a member's compose form or an SMTP submission: any
// field that could add a header or a part is refused with InvalidArgument (mime/'s checks), and
// nothing is sent in clear on any failure (the caller gets an error, no bytes). The keys come
// from the key directory (validated) and the sender's unwrapped keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/address.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/hash.h"
#include "mime/message.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "smime/certificate.h"
#include "smime/certified_key.h"
#include "smime/smime_writer.h"

namespace sealpost::delivery {

// How a copy was protected: recorded per recipient.
enum class SecureMethod : uint8_t {
  kSmimeAuthEnvelopedAes256Gcm,
  kSmimeEnvelopedAes256Cbc,
  kPgpMime,
};

// Stable slugs for the record: "smime-authenveloped-aes256gcm", "smime-enveloped-aes256cbc",
// "pgp-mime".
std::string_view SecureMethodSlug(SecureMethod method);

// The sender's signing keys (not owned; must outlive the call). Only the one the recipient's key
// type needs must be set.
struct SenderKeys {
  const smime::CertifiedKey* smime = nullptr;
  const pgp::MemberKey* openpgp = nullptr;
};

// The recipient's key, as the key directory holds it: an S/MIME certificate with the
// SMIMECapabilities recorded from their signed mail (if any), or an OpenPGP key.
using RecipientKey = std::variant<smime::SmimeRecipient, pgp::ContactKey>;

struct SecureCopy {
  std::string message;  // RFC 5322 bytes, CRLF line ends, 7-bit: ready for SMTP DATA
  SecureMethod method;
  // SHA-256 of the bytes that were signed: the protected payload, which is the CMS SignedData's
  // encapsulated content (and its message-digest attribute), or the OpenPGP literal data.
  crypto::Digest256 signed_digest;
};

// The envelope for an S/MIME recipient: AuthEnvelopedData (AES-256-GCM) when the capabilities
// recorded from the recipient's signed mail list AES-256-GCM; when none are recorded, when the
// certificate's own SMIMECapabilities extension (RFC 4262) lists it; when neither says anything,
// as kSmime.gcm_when_capabilities_unknown says (EnvelopedData, AES-256-CBC, today). Recorded
// capabilities win over the certificate's: they describe the client the recipient uses now.
smime::Envelope DecideEnvelope(const smime::Certificate& certificate,
                               const std::optional<smime::RecipientCapabilities>& recorded);

// This process's counts so far, also exported as metrics (docs/operations.md): protected
// payloads built (ProtectedMessage::Build, sealpost_secure_copy_payloads_built_total) and copies
// made (BuildSecureCopy, sealpost_secure_copies_built_total). A send builds one payload however
// many copies it makes.
uint64_t SecureCopyPayloadsBuilt();
uint64_t SecureCopiesBuilt();

// What every recipient's copy of one message shares, built once: the protected payload
// (mime::BuildProtected, which records the outer fields as HP-Outer), the outer header section
// and the payload's digest. A message to n recipients builds its MIME once rather than n times.
// Refers to the message it was made from, which must outlive it. Move-only; the payload (the
// message in clear) is wiped when it goes.
class ProtectedMessage final {
 public:
  // Checks the counts and sizes (TooLarge), then builds (InvalidArgument from mime/'s checks).
  static Result<ProtectedMessage> Build(const mime::OutgoingMessage& message);

  ProtectedMessage(ProtectedMessage&&) = default;
  ProtectedMessage& operator=(ProtectedMessage&&) = default;
  ~ProtectedMessage();

  const mime::OutgoingMessage& message() const { return *message_; }
  std::string_view payload() const { return payload_; }
  std::string_view outer_headers() const { return outer_headers_; }
  const crypto::Digest256& digest() const { return digest_; }

 private:
  ProtectedMessage() = default;
  const mime::OutgoingMessage* message_ = nullptr;
  std::string payload_;
  std::string outer_headers_;
  crypto::Digest256 digest_{};
};

// Builds `recipient`'s copy of `message`, signed by `sender` at `now`, encrypted to `key`.
//
// `message` is this recipient's view: To and Cc as every recipient sees them, `bcc_self` set
// only in a Bcc recipient's own copy and then naming `recipient`.
// Errors (no bytes returned with any of them):
//   InvalidArgument — `recipient` is not in To/Cc and is not `bcc_self`; `bcc_self` names someone
//     else; the certificate or key is not for `recipient`; the signing key the method needs is
//     missing or not for the From address; a field would inject a header (mime/);
//   TooLarge — more than kSecureCopy.max_attachments attachments, a payload over
//     max_payload_bytes or a finished copy over max_message_bytes;
//   Internal / NotFound — from OpenSSL or RNP (smime::SignAndEncrypt, pgp::EncryptAndSign).
Result<SecureCopy> BuildSecureCopy(const mime::OutgoingMessage& message,
                                   const EmailAddress& recipient, const SenderKeys& sender,
                                   const RecipientKey& key, TimePoint now);

// The same from a message built once for all its recipients (the errors as above).
Result<SecureCopy> BuildSecureCopy(const ProtectedMessage& message, const EmailAddress& recipient,
                                   const SenderKeys& sender, const RecipientKey& key,
                                   TimePoint now);

}  // namespace sealpost::delivery
