#include "crypto/password_hash.h"

#include <sodium.h>

#include <array>

#include "crypto/internal/argon2id.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

static_assert(kPasswordSaltBytes == crypto_pwhash_argon2id_SALTBYTES);
static_assert(kMaxPasswordBytes <= crypto_pwhash_argon2id_PASSWD_MAX);

namespace {

constexpr uint64_t kOwaspMinOps = 2;
constexpr size_t kOwaspMinMemBytes = size_t{19} * 1024 * 1024;

Status CheckPassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) return InvalidArgument("password is too long");
  return Status::Ok();
}

// libsodium's *_str functions read NUL-terminated strings of at most STRBYTES - 1 characters.
bool ToCString(std::string_view stored, std::string& out) {
  if (stored.empty() || stored.size() >= crypto_pwhash_argon2id_STRBYTES ||
      stored.find('\0') != std::string_view::npos) {
    return false;
  }
  out.assign(stored);
  return true;
}

}  // namespace

Status PasswordHashParams::Validate() const {
  if (ops_limit < kOwaspMinOps || mem_limit_bytes < kOwaspMinMemBytes) {
    return InvalidArgument("argon2id parameters below the minimum (19 MiB, 2 passes)");
  }
  if (ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      mem_limit_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return InvalidArgument("argon2id parameters above libsodium's maximum");
  }
  return Status::Ok();
}

namespace internal {

Status Argon2idDerive(std::span<uint8_t> out, std::string_view password, ByteView salt,
                      uint64_t ops_limit, size_t mem_limit_bytes) {
  EnsureInitialized();
  if (salt.size() != crypto_pwhash_argon2id_SALTBYTES) {
    return InvalidArgument("argon2id salt must be 16 bytes");
  }
  if (out.size() < crypto_pwhash_argon2id_BYTES_MIN ||
      out.size() > crypto_pwhash_argon2id_BYTES_MAX) {
    return InvalidArgument("argon2id output length out of range");
  }
  if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
    return InvalidArgument("password is too long");
  }
  if (ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      mem_limit_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      mem_limit_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return InvalidArgument("argon2id parameters outside libsodium's limits");
  }
  if (crypto_pwhash_argon2id(out.data(), out.size(), password.data(), password.size(), salt.data(),
                             ops_limit, mem_limit_bytes,
                             crypto_pwhash_argon2id_ALG_ARGON2ID13) != 0) {
    sodium_memzero(out.data(), out.size());
    return Unavailable("argon2id failed (out of memory?)");
  }
  return Status::Ok();
}

}  // namespace internal

Result<Kek> DeriveKeyFromPassword(std::string_view password, ByteView salt,
                                  const PasswordHashParams& params) {
  EnsureInitialized();
  SP_RETURN_IF_ERROR(CheckPassword(password));
  SP_RETURN_IF_ERROR(params.Validate());
  if (salt.size() != kPasswordSaltBytes) return InvalidArgument("password salt must be 16 bytes");
  SecretBytes key(kAeadKeyBytes);
  SP_RETURN_IF_ERROR(internal::Argon2idDerive(key.span(), password, salt, params.ops_limit,
                                              params.mem_limit_bytes));
  return Kek::FromSecret(std::move(key));
}

Result<std::string> HashPasswordForStorage(std::string_view password,
                                           const PasswordHashParams& params) {
  EnsureInitialized();
  SP_RETURN_IF_ERROR(CheckPassword(password));
  SP_RETURN_IF_ERROR(params.Validate());
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(), params.ops_limit,
                                 params.mem_limit_bytes) != 0) {
    return Unavailable("argon2id failed (out of memory?)");
  }
  return std::string(out.data());
}

bool VerifyStoredPasswordHash(std::string_view stored, std::string_view password) {
  EnsureInitialized();
  std::string c_stored;
  if (password.size() > kMaxPasswordBytes || !ToCString(stored, c_stored)) return false;
  // Only argon2id: crypto_pwhash_argon2id_str_verify refuses "$argon2i$" and other prefixes.
  return crypto_pwhash_argon2id_str_verify(c_stored.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHashNeedsRehash(std::string_view stored, const PasswordHashParams& params) {
  EnsureInitialized();
  std::string c_stored;
  if (!ToCString(stored, c_stored)) return true;
  return crypto_pwhash_argon2id_str_needs_rehash(c_stored.c_str(), params.ops_limit,
                                                 params.mem_limit_bytes) != 0;
}

}  // namespace sealpost::crypto
