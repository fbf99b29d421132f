// Internal: raw argon2id (crypto_pwhash_argon2id) without the parameter policy of
// PasswordHashParams::Validate. DeriveKeyFromPassword calls it after validating; tests call it to
// reproduce libsodium's published vectors, whose costs are below our policy minimum. Not for use
// outside crypto/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::crypto::internal {

// Fills `out` (16 bytes or more) from `password` and a 16-byte `salt`. InvalidArgument for sizes
// libsodium refuses; Unavailable if libsodium fails to run (out of memory).
Status Argon2idDerive(std::span<uint8_t> out, std::string_view password, ByteView salt,
                      uint64_t ops_limit, size_t mem_limit_bytes);

}  // namespace sealpost::crypto::internal
