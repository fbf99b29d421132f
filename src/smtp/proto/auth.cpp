#include "smtp/proto/auth.h"

#include "crypto/secret_bytes.h"

namespace sealpost::smtp::proto {
namespace {
constexpr size_t kMaxPart = 255;
}

Result<PlainCredentials> DecodePlain(std::string_view base64) {
  if (base64 == "=" || base64.empty()) return InvalidArgument("empty PLAIN response");
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes decoded, crypto::Base64DecodeSecret(base64));
  const std::string_view text = decoded.AsStringView();
  const size_t first = text.find('\0');
  if (first == std::string_view::npos) return InvalidArgument("PLAIN response without NUL");
  const size_t second = text.find('\0', first + 1);
  if (second == std::string_view::npos) return InvalidArgument("PLAIN response with one NUL");
  const std::string_view authzid = text.substr(0, first);
  const std::string_view authcid = text.substr(first + 1, second - first - 1);
  const std::string_view password = text.substr(second + 1);
  if (authcid.empty() || password.empty()) return InvalidArgument("empty PLAIN user or password");
  if (authzid.size() > kMaxPart || authcid.size() > kMaxPart || password.size() > kMaxPart) {
    return InvalidArgument("PLAIN part too long");
  }
  if (password.find('\0') != std::string_view::npos) {
    return InvalidArgument("PLAIN response with more than two NULs");
  }
  return PlainCredentials{std::string(authzid), std::string(authcid),
                          crypto::SecretString::CopyOf(password)};
}

Result<crypto::SecretString> DecodeLoginLine(std::string_view base64) {
  if (base64.empty()) return InvalidArgument("empty LOGIN response");
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes decoded, crypto::Base64DecodeSecret(base64));
  if (decoded.empty() || decoded.size() > kMaxPart) {
    return InvalidArgument("LOGIN response empty or too long");
  }
  if (decoded.AsStringView().find('\0') != std::string_view::npos) {
    return InvalidArgument("NUL in LOGIN response");
  }
  return crypto::SecretString(std::move(decoded));
}

}  // namespace sealpost::smtp::proto
