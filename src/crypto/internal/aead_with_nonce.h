// Internal, test-only seam: AeadSeal with a caller-chosen nonce and frame version, so published
// vectors (draft-irtf-cfrg-xchacha-03 §A.3.1, as a v1 frame) and the v2 layout can be checked
// through the same code path AeadSeal uses. Never call it outside crypto/ tests: reusing a nonce
// under one key destroys both confidentiality and integrity.
#pragma once

#include <cstdint>

#include "core/encoding.h"
#include "crypto/aead.h"

namespace sealpost::crypto::internal {

// Returns the frame of `version` (kAeadVersion or kAeadVersionV1; aborts otherwise). `nonce` must
// be kAeadNonceBytes long (aborts otherwise).
Bytes AeadSealWithNonce(const AeadKey& key, ByteView nonce, ByteView plaintext,
                        ByteView associated_data, uint8_t version);

}  // namespace sealpost::crypto::internal
