// Sign-then-encrypt for one S/MIME recipient (RFC 8551 section 3.7; docs/formats/smime.md).
//
// SignAndEncrypt takes the inner MIME entity the caller built (headers, blank line, body, in
// canonical CRLF form: its bytes are signed exactly as given) and returns the MIME part to send:
//
//   application/pkcs7-mime; smime-type=authEnveloped-data (or enveloped-data), base64, whose
//   (Auth)EnvelopedData encrypts
//     application/pkcs7-mime; smime-type=signed-data, base64, whose opaque SignedData holds
//       the inner entity, signed with SHA-256 by the signer, with signing time, content type,
//       message digest and SMIMECapabilities (AES-256-GCM, AES-256-CBC) signed attributes and
//       the signer's certificate and chain.
//
// The signature sits inside the envelope, so nobody but the recipient learns who signed. Opaque
// signed-data rather than multipart/signed: inside an envelope no client needs a readable
// fallback, and the signed bytes cannot be altered by a gateway re-encoding a multipart.
//
// The envelope (ChooseEnvelope): AuthEnvelopedData with AES-256-GCM (RFC 5083/5084) when the
// recipient's recorded SMIMECapabilities list AES-256-GCM (or when none are recorded and the
// policy says so: kSmime.gcm_when_capabilities_unknown); otherwise EnvelopedData with AES-256-CBC.
// Key management by the recipient's key: RSA with RSAES-OAEP (SHA-256, MGF1-SHA-256; RFC 8017,
// RFC 4055), EC with ephemeral-static ECDH (RFC 5753, dhSinglePass-stdDH-sha256kdf-scheme) and
// AES key wrap. The caller records the returned Envelope per recipient.
//
// Thread-safety: reentrant; one CertifiedKey may sign concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "smime/certificate.h"
#include "smime/certified_key.h"

namespace sealpost::smime {

enum class Envelope : uint8_t {
  kAuthEnvelopedAes256Gcm,  // smime-type=authEnveloped-data
  kEnvelopedAes256Cbc,      // smime-type=enveloped-data
};

// "authEnveloped-data" / "enveloped-data": the smime-type parameter.
std::string_view SmimeTypeOf(Envelope envelope);

// What a recipient announced in the SMIMECapabilities of a signed message (RFC 8551 2.5.2), as
// the caller recorded it.
struct RecipientCapabilities {
  bool aes256_gcm = false;
  bool aes256_cbc = false;
};

struct SmimeRecipient {
  Certificate certificate;
  std::optional<RecipientCapabilities> capabilities;  // nullopt: never seen any
};

struct SmimeMessage {
  Bytes mime_part;  // Content-Type … CRLF CRLF base64 (CRLF line ends), ready to be a body
  Envelope envelope;
};

Envelope ChooseEnvelope(const std::optional<RecipientCapabilities>& capabilities);

// Signs `inner_entity` with `signer` at `signing_time` and encrypts it to `recipient`.
// InvalidArgument when the recipient's key type cannot be used; Internal when OpenSSL fails.
// The recipient's certificate is not validated here: that is ValidateCertificate's job, before.
Result<SmimeMessage> SignAndEncrypt(ByteView inner_entity, const CertifiedKey& signer,
                                    const SmimeRecipient& recipient, TimePoint signing_time);

}  // namespace sealpost::smime
