#include "pgp/member_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "testing/status_matchers.h"

namespace sealpost::pgp {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TimePoint At(int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }

EmailAddress Addr(std::string_view text) { return *EmailAddress::Parse(text); }

// The tag of the first packet (RFC 4880 section 4.2, old and new header formats).
int FirstTag(uint8_t header) { return (header & 0x40) ? header & 0x3f : (header >> 2) & 0x0f; }

TEST(MemberKeyTest, GeneratesEd25519WithCv25519SubkeyAndLoadsBack) {
  auto generated = GenerateMemberKey(Addr("alice@example.org"), At(1764000000));
  ASSERT_THAT(generated.status(), IsOk());
  EXPECT_EQ(generated->fingerprint.size(), 40u);
  EXPECT_EQ(generated->encryption_fingerprint.size(), 40u);
  EXPECT_NE(generated->fingerprint, generated->encryption_fingerprint);
  EXPECT_THAT(generated->public_key_armored, StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
  EXPECT_FALSE(generated->secret_key.empty());
  // Binary transferable keys start with a public-key (tag 6) or secret-key (tag 5) packet.
  ASSERT_FALSE(generated->public_key.empty());
  EXPECT_EQ(FirstTag(generated->public_key[0]), 6);
  EXPECT_EQ(FirstTag(generated->secret_key.data()[0]), 5);

  auto loaded = MemberKey::Load(generated->secret_key);
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ((*loaded)->fingerprint(), generated->fingerprint);
  EXPECT_EQ((*loaded)->encryption_fingerprint(), generated->encryption_fingerprint);
  EXPECT_EQ((*loaded)->user_id(), "alice@example.org");
  EXPECT_EQ((*loaded)->public_key(), generated->public_key);
}

TEST(MemberKeyTest, TwoKeysDiffer) {
  auto a = GenerateMemberKey(Addr("alice@example.org"), At(1764000000));
  auto b = GenerateMemberKey(Addr("alice@example.org"), At(1764000000));
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_NE(a->fingerprint, b->fingerprint);
}

TEST(MemberKeyTest, LoadRefusesPublicKeyAndGarbage) {
  auto generated = GenerateMemberKey(Addr("alice@example.org"), At(1764000000));
  ASSERT_THAT(generated.status(), IsOk());
  auto public_only = MemberKey::Load(crypto::SecretBytes::CopyOf(generated->public_key));
  EXPECT_THAT(public_only.status(), StatusIs(ErrorCode::kInvalidArgument));
  auto garbage = MemberKey::Load(crypto::SecretBytes::CopyOf(AsBytes("not a key at all")));
  EXPECT_THAT(garbage.status(), StatusIs(ErrorCode::kInvalidArgument));
  auto empty = MemberKey::Load(crypto::SecretBytes(0));
  EXPECT_THAT(empty.status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::pgp
