#include "auth/totp.h"

#include <fmt/format.h>

#include "crypto/hash.h"
#include "crypto/secret_bytes.h"

namespace sealpost::auth {
namespace {

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

int64_t TotpStep(TimePoint t) { return ToUnixMillis(t) / 1000 / kTotpStepSeconds; }

std::string TotpCode(ByteView secret, int64_t step, int digits) {
  uint8_t counter[8];
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<uint8_t>(step & 0xff);
    step >>= 8;
  }
  const Bytes mac = crypto::HmacSha1(secret, counter);
  // RFC 4226 §5.3 dynamic truncation.
  const int offset = mac[19] & 0x0f;
  const uint32_t binary = (uint32_t{mac[offset] & 0x7fu} << 24) |
                          (uint32_t{mac[offset + 1]} << 16) | (uint32_t{mac[offset + 2]} << 8) |
                          uint32_t{mac[offset + 3]};
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return fmt::format("{:0{}}", binary % modulus, digits);
}

Result<int64_t> MatchTotp(ByteView secret, std::string_view code, TimePoint now, int window) {
  if (code.size() != kTotpDigits) return Unauthenticated("wrong one-time code");
  const int64_t current = TotpStep(now);
  int64_t matched = -1;
  // Check every candidate step so timing does not depend on which one matched.
  for (int64_t step = current - window; step <= current + window; ++step) {
    const std::string expected = TotpCode(secret, step);
    if (crypto::ConstantTimeEquals(AsBytes(expected), AsBytes(code)) && matched < 0) {
      matched = step;
    }
  }
  if (matched < 0) return Unauthenticated("wrong one-time code");
  return matched;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account, ByteView secret) {
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
                     PercentEncode(issuer), PercentEncode(account), Base32Encode(secret),
                     PercentEncode(issuer), kTotpDigits, kTotpStepSeconds);
}

}  // namespace sealpost::auth
