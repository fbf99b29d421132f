#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <climits>

#include "crypto/internal/check.h"

namespace sealpost::crypto {

static_assert(kKdfMasterKeyBytes == crypto_kdf_KEYBYTES);
static_assert(kKdfContextBytes == crypto_kdf_CONTEXTBYTES);
static_assert(kKdfMinSubkeyBytes == crypto_kdf_BYTES_MIN);
static_assert(kKdfMaxSubkeyBytes == crypto_kdf_BYTES_MAX);

namespace {

// OpenSSL accepts (nullptr, 0) almost everywhere, but not in every version of every function; a
// valid pointer costs nothing.
const uint8_t kEmpty[1] = {0};
const uint8_t* DataOrEmpty(ByteView v) { return v.empty() ? kEmpty : v.data(); }

// OpenSSL 3 looks up the implementation behind EVP_sha256() again at every digest init (a global
// lock, a property query and reference counting): while the server proved Merkle inclusion for
// receipts, one node hash at a time, that look-up was 16 % of its CPU. Fetched once, the
// implementation is reused by every init; it lives as long as the process.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = [] {
    EnsureInitialized();
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (fetched == nullptr) internal::Die("EVP_MD_fetch(SHA2-256) failed");
    return fetched;
  }();
  return md;
}

Bytes Hmac(const EVP_MD* md, ByteView key, ByteView message) {
  EnsureInitialized();
  if (key.size() > static_cast<size_t>(INT_MAX)) internal::Die("HMAC key too long");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(md, DataOrEmpty(key), static_cast<int>(key.size()), DataOrEmpty(message), message.size(),
           out, &out_len) == nullptr) {
    internal::Die("HMAC failed");
  }
  return Bytes(out, out + out_len);
}

}  // namespace

void Sha256Hasher::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Digest256 Sha256(ByteView data) {
  EnsureInitialized();
  Digest256 out;
  unsigned int out_len = 0;
  if (EVP_Digest(DataOrEmpty(data), data.size(), out.data(), &out_len, Sha256Md(), nullptr) != 1 ||
      out_len != out.size()) {
    internal::Die("EVP_Digest(SHA-256) failed");
  }
  return out;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  EnsureInitialized();
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_.get(), Sha256Md(), nullptr) != 1) {
    internal::Die("EVP_DigestInit_ex(SHA-256) failed");
  }
}

void Sha256Hasher::Update(ByteView data) {
  if (ctx_ == nullptr) internal::Die("Sha256Hasher used after move");
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
    internal::Die("EVP_DigestUpdate failed");
  }
}

Digest256 Sha256Hasher::Finish() {
  if (ctx_ == nullptr) internal::Die("Sha256Hasher used after move");
  Digest256 out;
  unsigned int out_len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &out_len) != 1 || out_len != out.size() ||
      EVP_DigestInit_ex(ctx_.get(), Sha256Md(), nullptr) != 1) {
    internal::Die("EVP_DigestFinal_ex failed");
  }
  return out;
}

Bytes HmacSha1(ByteView key, ByteView message) { return Hmac(EVP_sha1(), key, message); }
Bytes HmacSha256(ByteView key, ByteView message) { return Hmac(Sha256Md(), key, message); }

Result<SecretBytes> DeriveSubkey(const SecretBytes& master, uint64_t subkey_id,
                                 std::string_view context, size_t length) {
  EnsureInitialized();
  if (master.size() != kKdfMasterKeyBytes)
    return InvalidArgument("KDF master key must be 32 bytes");
  if (context.size() != kKdfContextBytes)
    return InvalidArgument("KDF context must be 8 characters");
  if (length < kKdfMinSubkeyBytes || length > kKdfMaxSubkeyBytes) {
    return InvalidArgument("KDF subkey length must be 16..64 bytes");
  }
  SecretBytes subkey(length);
  if (crypto_kdf_derive_from_key(subkey.data(), subkey.size(), subkey_id, context.data(),
                                 master.data()) != 0) {
    return Internal("crypto_kdf_derive_from_key failed");
  }
  return subkey;
}

Result<SecretBytes> CombineSecrets(const SecretBytes& key, std::string_view label,
                                   const SecretBytes& secret) {
  EnsureInitialized();
  if (key.size() != kCombineKeyBytes) return InvalidArgument("combining key must be 32 bytes");
  crypto_generichash_state state;
  SecretBytes out(kCombineKeyBytes);
  // The state holds key material: wiped below whatever happens.
  int rc = crypto_generichash_init(&state, key.data(), key.size(), out.size());
  if (rc == 0) {
    rc = crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(label.data()),
                                   label.size());
  }
  if (rc == 0) rc = crypto_generichash_update(&state, secret.data(), secret.size());
  if (rc == 0) rc = crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  if (rc != 0) return Internal("crypto_generichash failed");
  return out;
}

}  // namespace sealpost::crypto
