// Opens what SignAndEncrypt writes (and what other agents write in the same shape): decrypts an
// application/pkcs7-mime (Auth)EnvelopedData part with the recipient's key, then checks the
// opaque SignedData inside and validates its signer's certificate (docs/formats/smime.md).
//
// For Sealpost's own tests now and for inbound mail later. Accepted: AuthEnvelopedData with
// kSmime.preferred_cipher (AES-256-GCM, a 12 to 16-byte tag) or EnvelopedData with
// kSmime.fallback_cipher (AES-256-CBC), addressed to `recipient`'s certificate, whose content is an
// application/pkcs7-mime signed-data part with one or more signers using a kSmime.digests
// digest. Not (yet): multipart/signed inside the envelope, signed-only or encrypted-only mail.
//
// SECURITY: `mime_part` is untrusted mail. Any failure returns an error and no content: a part
// that is not S/MIME is InvalidArgument; one that does not decrypt is Unauthenticated("S/MIME
// message does not decrypt"), one whose signature does not verify (or uses a refused digest)
// Unauthenticated("S/MIME signature does not verify"). A cryptographically valid signature by a
// certificate that is not trusted is NOT an error: ReadSmime returns the content with the
// signer's Validation, and the caller decides (e.g. show it only as unverified). The decrypted
// content stays in zeroizing memory; OpenSSL's own buffers for it are cleared when freed.
//
// Thread-safety: reentrant.
#pragma once

#include <optional>
#include <vector>

#include "core/address.h"
#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/secret_bytes.h"
#include "smime/certificate.h"
#include "smime/certificate_validation.h"
#include "smime/certified_key.h"
#include "smime/smime_writer.h"
#include "smime/trust_anchors.h"

namespace sealpost::smime {

struct SmimeContent {
  crypto::SecretBytes content;  // the signed inner MIME entity, byte for byte
  Envelope envelope;
  CertificateChain signer;       // the signer's certificate and the others the message carried
  Validation signer_validation;  // ValidateCertificate(signer, anchors, sender, now, kSignature)
  // What the signer announced it reads (its SMIMECapabilities), for the caller to record and
  // pass back as SmimeRecipient::capabilities; nullopt when the message listed none.
  std::optional<RecipientCapabilities> sender_capabilities;
};

Result<SmimeContent> ReadSmime(ByteView mime_part, const CertifiedKey& recipient,
                               const TrustAnchors& anchors, const EmailAddress& sender,
                               TimePoint now);

}  // namespace sealpost::smime
