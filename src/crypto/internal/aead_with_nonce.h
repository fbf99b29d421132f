// Internal, test-only seam: AeadSeal with a caller-chosen nonce, so the published
// draft-irtf-cfrg-xchacha-03 §A.3.1 vector can be checked through the same code path AeadSeal
// uses. Never call it outside crypto/ tests: reusing a nonce under one key destroys both
// confidentiality and integrity.
#pragma once

#include "core/encoding.h"
#include "crypto/aead.h"

namespace sealpost::crypto::internal {

// Returns 0x01 ‖ nonce ‖ ciphertext ‖ tag. `nonce` must be kAeadNonceBytes long (aborts otherwise).
Bytes AeadSealWithNonce(const AeadKey& key, ByteView nonce, ByteView plaintext,
                        ByteView associated_data);

}  // namespace sealpost::crypto::internal
