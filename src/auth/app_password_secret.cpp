#include "auth/app_password_secret.h"

#include <algorithm>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace sealpost::auth {
namespace {

constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";  // RFC 4648, lower
constexpr std::string_view kRootLabel = "sealpost/app-password/v1";
constexpr std::string_view kContext = "spapppw1";  // crypto_kdf context: exactly 8 characters
enum SubkeyId : uint64_t { kLookupId = 1, kWrapId = 2 };

crypto::SecretBytes Subkey(const crypto::SecretBytes& root, uint64_t id) {
  // A 32-byte root and a fixed context: derivation cannot fail.
  return *crypto::DeriveSubkey(root, id, kContext, 32);
}

}  // namespace

AppPasswordSecret::AppPasswordSecret(crypto::SecretBytes canonical)
    : canonical_(std::move(canonical)), root_(crypto::kKdfMasterKeyBytes) {
  // The 160 bits are already uniform; hashing makes them the 32-byte key crypto_kdf wants and
  // separates this use from any other hash of the same text.
  crypto::Sha256Hasher hasher;
  hasher.Update(AsBytes(kRootLabel));
  hasher.Update(canonical_.view());
  crypto::Digest256 digest = hasher.Finish();
  std::copy(digest.begin(), digest.end(), root_.data());
  std::fill(digest.begin(), digest.end(), 0);
}

AppPasswordSecret AppPasswordSecret::Generate() {
  // 256 is a multiple of 32, so `& 31` keeps every character uniform.
  crypto::SecretBytes random = crypto::RandomSecret(kChars);
  crypto::SecretBytes text(kChars);
  for (size_t i = 0; i < kChars; ++i) {
    text.data()[i] = static_cast<uint8_t>(kAlphabet[random.data()[i] & 31]);
  }
  return AppPasswordSecret(std::move(text));
}

Result<AppPasswordSecret> AppPasswordSecret::Parse(std::string_view typed) {
  if (typed.size() > kMaxTypedBytes) return InvalidArgument("malformed app password");
  crypto::SecretBytes out(kChars);
  size_t n = 0;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool valid = (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
    if (!valid || n == kChars) return InvalidArgument("malformed app password");
    out.data()[n++] = static_cast<uint8_t>(c);
  }
  if (n != kChars) return InvalidArgument("malformed app password");
  return AppPasswordSecret(std::move(out));
}

crypto::SecretString AppPasswordSecret::Display() const {
  crypto::SecretBytes text(kChars + kChars / kGroup - 1);
  size_t out = 0;
  for (size_t i = 0; i < kChars; ++i) {
    if (i > 0 && i % kGroup == 0) text.data()[out++] = '-';
    text.data()[out++] = canonical_.data()[i];
  }
  return crypto::SecretString(std::move(text));
}

std::string AppPasswordSecret::Lookup() const { return HexEncode(Subkey(root_, kLookupId).view()); }

crypto::Kek AppPasswordSecret::WrappingKey() const {
  return *crypto::Kek::FromSecret(Subkey(root_, kWrapId));
}

}  // namespace sealpost::auth
