// The SMIMECapabilities certificate extension (RFC 4262): what a certificate's owner announced,
// at issuance, that their mail client decrypts — read as far as the envelope choice needs it
// (smime_writer.h, RecipientCapabilities).
//
// Few certificates carry it (public CAs rarely add it); where one does, it lets Sealpost send
// AuthEnvelopedData before it has seen a signed mail of that recipient. A signed mail's own
// SMIMECapabilities attribute (smime_reader.h) is newer and says what the client in use reads,
// so a recorded one wins over this (delivery/secure_copy.h, DecideEnvelope).
//
// Thread-safety: reentrant. Input: a Certificate already parsed and limited by import; the
// extension's contents are untrusted and anything malformed reads as "none announced".
#pragma once

#include <optional>

#include "core/encoding.h"
#include "smime/certificate.h"
#include "smime/smime_writer.h"

namespace sealpost::smime {

// nullopt when the certificate has no SMIMECapabilities extension (or an unreadable one).
std::optional<RecipientCapabilities> CapabilitiesInCertificate(const Certificate& certificate);

// The SMIMECapabilities signed attribute that `signer` put in a CMS SignedData (DER: a .p7s
// detached signature or an opaque signed-data part of a contact's signed mail), for the key
// directory to record at import. nullopt when the input is not SignedData, `signer` made none of
// its SignerInfos, or that SignerInfo lists no capabilities.
//
// The signature itself is not verified here (the content of a multipart/signed mail is not at
// hand): the result is a hint for choosing between the two envelopes the policy allows, both of
// which keep the content confidential and signed, so a forged list can at worst make the
// recipient's copy unreadable to an old client or choose CBC over GCM.
std::optional<RecipientCapabilities> CapabilitiesInSignedData(ByteView cms_der,
                                                              const Certificate& signer);

}  // namespace sealpost::smime
