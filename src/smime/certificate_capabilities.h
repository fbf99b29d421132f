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

#include "smime/certificate.h"
#include "smime/smime_writer.h"

namespace sealpost::smime {

// nullopt when the certificate has no SMIMECapabilities extension (or an unreadable one).
std::optional<RecipientCapabilities> CapabilitiesInCertificate(const Certificate& certificate);

}  // namespace sealpost::smime
