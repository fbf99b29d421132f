// AUTH PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) responses, decoded. Pure.
//
// SECURITY: the input is a client's base64 text holding a password. Decoded bytes go straight
// into zeroizing memory (crypto::Base64DecodeSecret); the password never lands in a std::string.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret_string.h"

namespace sealpost::smtp::proto {

struct PlainCredentials {
  std::string authorization_id;  // may be empty
  std::string user;
  crypto::SecretString password;
};

// "=" (an empty response) or base64 of authzid NUL authcid NUL passwd; InvalidArgument when
// malformed, when authcid or the password is empty, or when a part is longer than 255 octets
// (RFC 4616 2).
Result<PlainCredentials> DecodePlain(std::string_view base64);

// One LOGIN response line (base64 of the user name or of the password).
Result<crypto::SecretString> DecodeLoginLine(std::string_view base64);

// The server's LOGIN challenges, base64 ("Username:", "Password:").
inline constexpr std::string_view kLoginUserChallenge = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordChallenge = "UGFzc3dvcmQ6";

}  // namespace sealpost::smtp::proto
