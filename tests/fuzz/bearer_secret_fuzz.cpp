// Fuzz target: the bearer-secret parser (auth/bearer_secret.h) — session cookies, pickup links
// and X-Pickup-Token headers all come through BearerSecret::Parse — and the RFC 4648 decoders
// and id parser (core/encoding.h, core/ids.h) that read other tokens and identifiers.
//
// Invariants checked: no crash or sanitizer report; whatever a decoder accepts re-encodes to
// exactly the input (one encoding per value, so a token cannot have two spellings that look up
// the same record), modulo hex letter case; a parsed secret's derived values are well formed.
//
// SECURITY: the input is what a client sends as a cookie, link or token header.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/bearer_secret.h"
#include "core/encoding.h"
#include "core/ids.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto secret = sealpost::auth::BearerSecret::Parse(text);
  if (secret.ok()) {
    Check(text.size() == 43);
    Check(secret->Encode() == text);
    Check(secret->Lookup().size() == 64);
    Check(secret->CsrfToken().size() == 43);
  } else {
    Check(secret.status().code() == sealpost::ErrorCode::kInvalidArgument);
  }

  if (auto raw = sealpost::Base64UrlDecode(text); raw.ok()) {
    Check(sealpost::Base64UrlEncode(*raw) == text);
  }
  if (auto raw = sealpost::Base64Decode(text); raw.ok()) {
    Check(sealpost::Base64Encode(*raw) == text);
  }
  if (auto raw = sealpost::HexDecode(text); raw.ok()) {
    Check(EqualsIgnoreCase(sealpost::HexEncode(*raw), text));
  }
  if (auto id = sealpost::MessageId::Parse(text); id.ok()) {
    Check(id->str() == text && text.size() == sealpost::kIdChars);
  }
  return 0;
}
