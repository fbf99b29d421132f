#include "auth/bearer_secret.h"

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace sealpost::auth {
namespace {

constexpr std::string_view kContext = "spbearer";  // crypto_kdf context: exactly 8 characters
enum SubkeyId : uint64_t { kLookupId = 1, kWrapId = 2, kCsrfId = 3 };

// Inputs are fixed-size and valid by construction, so derivation cannot fail.
crypto::SecretBytes Subkey(const crypto::SecretBytes& secret, uint64_t id) {
  return *crypto::DeriveSubkey(secret, id, kContext, 32);
}

}  // namespace

BearerSecret BearerSecret::Generate() { return BearerSecret(crypto::RandomSecret(kBytes)); }

Result<BearerSecret> BearerSecret::Parse(std::string_view encoded) {
  if (encoded.size() != 43) return InvalidArgument("malformed token");
  auto raw = Base64UrlDecode(encoded);
  if (!raw.ok() || raw->size() != kBytes) return InvalidArgument("malformed token");
  auto secret = crypto::SecretBytes::CopyOf(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  return BearerSecret(std::move(secret));
}

std::string BearerSecret::Encode() const { return Base64UrlEncode(secret_.view()); }

std::string BearerSecret::Lookup() const { return HexEncode(Subkey(secret_, kLookupId).view()); }

crypto::Kek BearerSecret::WrappingKey() const {
  return *crypto::Kek::FromSecret(Subkey(secret_, kWrapId));
}

std::string BearerSecret::CsrfToken() const {
  return Base64UrlEncode(Subkey(secret_, kCsrfId).view());
}

}  // namespace sealpost::auth
