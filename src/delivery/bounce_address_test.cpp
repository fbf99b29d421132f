#include "delivery/bounce_address.h"

#include <gtest/gtest.h>

#include <string>

namespace sealpost::delivery {
namespace {

crypto::SecretBytes Key(uint8_t fill) {
  crypto::SecretBytes key(32);
  for (uint8_t& b : key.span()) b = fill;
  return key;
}

const std::string kId = "0123456789abcdef0123456789abcdef";

TEST(BounceAddress, NamesTheTargetAndReadsBack) {
  const crypto::SecretBytes key = Key(7);
  const std::string a = BounceAddress(key, {BounceKind::kSecureCopy, kId}, "mail.example.org");
  EXPECT_EQ(a.substr(0, 9 + kId.size()), "bounces+c" + kId);
  EXPECT_LE(a.find('@'), 64u);  // RFC 5321 §4.5.3.1.1: local part at most 64 octets
  auto t = ParseBounceAddress(key, a, "mail.example.org");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind, BounceKind::kSecureCopy);
  EXPECT_EQ(t->id, kId);
  const std::string m = BounceAddress(key, {BounceKind::kSystemMail, kId}, "mail.example.org");
  ASSERT_TRUE(ParseBounceAddress(key, m, "mail.example.org").has_value());
  EXPECT_EQ(ParseBounceAddress(key, m, "mail.example.org")->kind, BounceKind::kSystemMail);
}

TEST(BounceAddress, IgnoresCaseAsSomeServersFoldIt) {
  const crypto::SecretBytes key = Key(7);
  std::string a = BounceAddress(key, {BounceKind::kSecureCopy, kId}, "mail.example.org");
  for (char& c : a) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  auto t = ParseBounceAddress(key, a, "Mail.Example.ORG");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->id, kId);
}

TEST(BounceAddress, RefusesForgedOrForeignAddresses) {
  const crypto::SecretBytes key = Key(7);
  const std::string a = BounceAddress(key, {BounceKind::kSecureCopy, kId}, "mail.example.org");
  // Another key, another domain.
  EXPECT_FALSE(ParseBounceAddress(Key(8), a, "mail.example.org").has_value());
  EXPECT_FALSE(ParseBounceAddress(key, a, "example.org").has_value());
  // Every single character of the local part flipped (tag, id, kind, prefix, separator).
  const size_t at = a.find('@');
  for (size_t i = 0; i < at; ++i) {
    std::string forged = a;
    forged[i] = forged[i] == '0' ? '1' : '0';
    EXPECT_FALSE(ParseBounceAddress(key, forged, "mail.example.org").has_value()) << i;
  }
  // The same id and tag under the other kind: the kind is bound by the tag.
  std::string other = a;
  other[8] = 'm';
  EXPECT_FALSE(ParseBounceAddress(key, other, "mail.example.org").has_value());
  // The tag of one id does not work for another.
  const std::string b =
      BounceAddress(key, {BounceKind::kSecureCopy, std::string(32, 'f')}, "mail.example.org");
  std::string spliced = a.substr(0, 9 + kId.size()) + b.substr(9 + kId.size());
  EXPECT_FALSE(ParseBounceAddress(key, spliced, "mail.example.org").has_value());
  for (const char* bad : {"", "@", "bounces+@mail.example.org", "alice@mail.example.org",
                          "bounces+c0123-00@mail.example.org", "bounces+cxyz@mail.example.org"}) {
    EXPECT_FALSE(ParseBounceAddress(key, bad, "mail.example.org").has_value()) << bad;
  }
  EXPECT_FALSE(ParseBounceAddress(key, a + "x", "mail.example.org").has_value());
  EXPECT_FALSE(ParseBounceAddress(key, "x" + a, "mail.example.org").has_value());
}

}  // namespace
}  // namespace sealpost::delivery
