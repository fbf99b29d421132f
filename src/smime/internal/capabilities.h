// Reads a DER SMIMECapabilities value (RFC 8551 section 2.5.2; RFC 4262 for the certificate
// extension): SEQUENCE OF SMIMECapability, each AlgorithmIdentifier-shaped, as far as the
// envelope choice needs it. Shared by the certificate extension, the signed-data attribute of an
// imported signed mail and the reader of S/MIME mail.
//
// Input: untrusted DER. Anything malformed (or with trailing bytes) reads as nullopt.
// Thread-safety: reentrant.
#pragma once

#include <optional>

#include "smime/smime_writer.h"

namespace sealpost::smime::internal {

std::optional<RecipientCapabilities> DecodeCapabilities(const unsigned char* der, long length);

}  // namespace sealpost::smime::internal
