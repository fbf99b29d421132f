// Time-based one-time passwords (RFC 6238 over RFC 4226, HMAC-SHA1, 6 digits, 30 s steps).
// Pure functions; HMAC comes from crypto/. Codes are compared in constant time.
#pragma once

#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::auth {

inline constexpr int kTotpDigits = 6;
inline constexpr int64_t kTotpStepSeconds = 30;
inline constexpr size_t kTotpSecretBytes = 20;

int64_t TotpStep(TimePoint t);
std::string TotpCode(ByteView secret, int64_t step, int digits = kTotpDigits);

// Checks `code` against the steps around `now` (±window). Returns the matching step, or
// Unauthenticated. Replay protection (refusing a step already used) is the caller's job.
Result<int64_t> MatchTotp(ByteView secret, std::string_view code, TimePoint now, int window = 1);

// otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view issuer, std::string_view account, ByteView secret);

}  // namespace sealpost::auth
