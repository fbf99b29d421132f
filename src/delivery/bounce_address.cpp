#include "delivery/bounce_address.h"

#include "core/encoding.h"
#include "core/ids.h"
#include "crypto/hash.h"

namespace sealpost::delivery {
namespace {

constexpr size_t kTagBytes = 10;
constexpr std::string_view kTagLabel = "sealpost/bounce/v1|";

Bytes Tag(const crypto::SecretBytes& key, BounceKind kind, std::string_view id) {
  std::string message(kTagLabel);
  message += static_cast<char>(kind);
  message += '|';
  message += id;
  Bytes mac = crypto::HmacSha256(key.view(), AsBytes(message));
  mac.resize(kTagBytes);
  return mac;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string BounceAddress(const crypto::SecretBytes& key, const BounceTarget& target,
                          std::string_view domain) {
  std::string out(kBounceLocalPrefix);
  out += static_cast<char>(target.kind);
  out += target.id;
  out += '-';
  out += HexEncode(Tag(key, target.kind, target.id));
  out += '@';
  out += domain;
  return out;
}

std::optional<BounceTarget> ParseBounceAddress(const crypto::SecretBytes& key,
                                               std::string_view address, std::string_view domain) {
  const std::string a = Lower(address);
  const size_t at = a.rfind('@');
  if (at == std::string::npos || a.substr(at + 1) != Lower(domain)) return std::nullopt;
  std::string_view local = std::string_view(a).substr(0, at);
  if (local.substr(0, kBounceLocalPrefix.size()) != kBounceLocalPrefix) return std::nullopt;
  local.remove_prefix(kBounceLocalPrefix.size());
  if (local.size() != 1 + kIdChars + 1 + 2 * kTagBytes || local[1 + kIdChars] != '-') {
    return std::nullopt;
  }
  const char kind = local[0];
  if (kind != static_cast<char>(BounceKind::kSecureCopy) &&
      kind != static_cast<char>(BounceKind::kSystemMail)) {
    return std::nullopt;
  }
  const std::string_view id = local.substr(1, kIdChars);
  if (!IsWellFormedId(id)) return std::nullopt;
  auto tag = HexDecode(local.substr(2 + kIdChars));
  if (!tag.ok()) return std::nullopt;
  const auto bounce_kind = static_cast<BounceKind>(kind);
  if (!crypto::ConstantTimeEquals(*tag, Tag(key, bounce_kind, id))) return std::nullopt;
  return BounceTarget{bounce_kind, std::string(id)};
}

}  // namespace sealpost::delivery
