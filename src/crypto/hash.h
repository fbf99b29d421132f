// Hashes, MACs and key derivation.
//
// - SHA-256 (OpenSSL EVP): content digests, hash-based look-up of link and session secrets,
//   Merkle trees. One-shot Sha256 or incremental Sha256Hasher.
// - HMAC-SHA1 / HMAC-SHA256 (OpenSSL): TOTP (RFC 6238 needs SHA-1), DKIM and interop. Not for new
//   designs that can use AEAD or signatures instead.
// - DeriveSubkey (libsodium crypto_kdf, BLAKE2b): independent subkeys from one 32-byte master key,
//   separated by an 8-character context and a 64-bit id.
// - CombineSecrets (libsodium crypto_generichash, keyed BLAKE2b-256): one key that needs two
//   independent secrets (a pickup's link key and its MUC-protected share).
//
// Secrets: HMAC keys and the KDF master key/subkeys. HMAC keys are taken as ByteView, so their
// storage is the caller's (keep them in SecretBytes). Thread-safety: the free functions are safe to
// call concurrently; a Sha256Hasher is not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/secret_bytes.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX; kept out of this header.

namespace sealpost::crypto {

using Digest256 = std::array<uint8_t, 32>;

Digest256 Sha256(ByteView data);

class Sha256Hasher final {
 public:
  Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept = default;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept = default;
  ~Sha256Hasher() = default;

  void Update(ByteView data);
  // Returns the digest of everything passed to Update since construction or the previous Finish,
  // and starts over (the hasher can be reused).
  Digest256 Finish();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// Full-length MACs: 20 bytes for SHA-1, 32 for SHA-256. Compare MACs with ConstantTimeEquals.
Bytes HmacSha1(ByteView key, ByteView message);
Bytes HmacSha256(ByteView key, ByteView message);

inline constexpr size_t kKdfMasterKeyBytes = 32;
inline constexpr size_t kKdfContextBytes = 8;
inline constexpr size_t kKdfMinSubkeyBytes = 16;
inline constexpr size_t kKdfMaxSubkeyBytes = 64;

// Derives `length` bytes (16..64) for (`subkey_id`, `context`) from a 32-byte `master` key.
// `context` must be exactly 8 characters (e.g. "sesskey1"). InvalidArgument on any wrong size.
Result<SecretBytes> DeriveSubkey(const SecretBytes& master, uint64_t subkey_id,
                                 std::string_view context, size_t length);

inline constexpr size_t kCombineKeyBytes = 32;

// BLAKE2b-256 keyed by `key` (32 bytes) over `label` ‖ `secret`: 32 bytes that cannot be computed
// without both `key` and `secret` (a PRF under either). `label` separates uses (a label from
// crypto/ad_labels.h). InvalidArgument unless `key` is 32 bytes.
Result<SecretBytes> CombineSecrets(const SecretBytes& key, std::string_view label,
                                   const SecretBytes& secret);

}  // namespace sealpost::crypto
