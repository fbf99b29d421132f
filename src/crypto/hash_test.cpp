#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/encoding.h"
#include "testing/status_matchers.h"

namespace sealpost::crypto {
namespace {

// FIPS 180-2 Appendix B.1 ("abc") and B.2 (the 448-bit message).
constexpr std::string_view kAbc = "abc";
constexpr std::string_view kAbcDigest =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view k448Bit = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view k448BitDigest =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

TEST(HashTest, Sha256Fips180Vectors) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes(kAbc))), kAbcDigest);
  EXPECT_EQ(HexEncode(Sha256(AsBytes(k448Bit))), k448BitDigest);
}

TEST(HashTest, Sha256HasherIncrementalAndReusable) {
  Sha256Hasher hasher;
  // Split the 448-bit message at every position.
  for (size_t split = 0; split <= k448Bit.size(); ++split) {
    hasher.Update(AsBytes(k448Bit.substr(0, split)));
    hasher.Update(AsBytes(k448Bit.substr(split)));
    EXPECT_EQ(HexEncode(hasher.Finish()), k448BitDigest) << split;
  }
  for (char c : kAbc) hasher.Update(AsBytes(std::string_view(&c, 1)));
  EXPECT_EQ(HexEncode(hasher.Finish()), kAbcDigest);

  Sha256Hasher moved = std::move(hasher);
  moved.Update(AsBytes(kAbc));
  EXPECT_EQ(HexEncode(moved.Finish()), kAbcDigest);
}

// RFC 2202 §3, test cases 1-3.
TEST(HashTest, HmacSha1Rfc2202) {
  EXPECT_EQ(HexEncode(HmacSha1(Bytes(20, 0x0b), AsBytes("Hi There"))),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(HexEncode(HmacSha1(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(HexEncode(HmacSha1(Bytes(20, 0xaa), Bytes(50, 0xdd))),
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
}

// RFC 4231 §4.2 and §4.3, test cases 1-2.
TEST(HashTest, HmacSha256Rfc4231) {
  EXPECT_EQ(HexEncode(HmacSha256(Bytes(20, 0x0b), AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, HmacAcceptsEmptyInputs) {
  EXPECT_EQ(HmacSha256({}, {}).size(), 32u);
  EXPECT_EQ(HmacSha1({}, {}).size(), 20u);
  EXPECT_NE(HmacSha256({}, {}), HmacSha256(AsBytes("k"), {}));
}

SecretBytes CountingMasterKey() {
  SecretBytes master(kKdfMasterKeyBytes);
  for (size_t i = 0; i < master.size(); ++i) master.data()[i] = static_cast<uint8_t>(i);
  return master;
}

// libsodium test/default/kdf.c and kdf.exp: master key 00 01 … 1f, context "KDF test".
TEST(HashTest, DeriveSubkeyLibsodiumVectors) {
  const SecretBytes master = CountingMasterKey();
  const struct {
    uint64_t id;
    size_t length;
    const char* expected;
  } vectors[] = {
      {0, 64,
       "a0c724404728c8bb95e5433eb6a9716171144d61efb23e74b873fcbeda51d8071b5d70aae12066dfc94ce943f1"
       "45aa176c055040c3dd73b0a15e36254d450614"},
      {1, 64,
       "02507f144fa9bf19010bf7c70b235b4c2663cc00e074f929602a5e2c10a780757d2a3993d06debc378a90efdac"
       "196dd841817b977d67b786804f6d3cd585bab5"},
      {16, 16, "a529216624ef9161e4cf117272aafff2"},
      {32, 32, "154b291f11196737f8b7f491e4ca11764e0227d34f94295408a869f007aa8618"},
  };
  for (const auto& v : vectors) {
    auto subkey = DeriveSubkey(master, v.id, "KDF test", v.length);
    ASSERT_THAT(subkey.status(), IsOk());
    EXPECT_EQ(HexEncode(subkey->view()), v.expected) << v.id;
  }
}

TEST(HashTest, DeriveSubkeyChecksSizes) {
  const SecretBytes master = CountingMasterKey();
  EXPECT_THAT(DeriveSubkey(SecretBytes(31), 1, "KDF test", 32).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveSubkey(SecretBytes(33), 1, "KDF test", 32).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveSubkey(master, 1, "KDF tes", 32).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveSubkey(master, 1, "KDF test!", 32).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveSubkey(master, 1, "KDF test", 15).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveSubkey(master, 1, "KDF test", 65).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveSubkey(master, 1, "KDF test", 16).status(), IsOk());
  EXPECT_THAT(DeriveSubkey(master, 1, "KDF test", 64).status(), IsOk());
}

TEST(HashTest, DeriveSubkeySeparatesIdsAndContexts) {
  const SecretBytes master = CountingMasterKey();
  auto a = DeriveSubkey(master, 7, "sesskey1", 32);
  auto b = DeriveSubkey(master, 8, "sesskey1", 32);
  auto c = DeriveSubkey(master, 7, "linkkey1", 32);
  auto a2 = DeriveSubkey(master, 7, "sesskey1", 32);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && a2.ok());
  EXPECT_TRUE(ConstantTimeEquals(a->view(), a2->view()));
  EXPECT_FALSE(ConstantTimeEquals(a->view(), b->view()));
  EXPECT_FALSE(ConstantTimeEquals(a->view(), c->view()));
}

// Keyed BLAKE2b-256 over label ‖ secret (vector from Python's hashlib.blake2b).
TEST(HashTest, CombineSecretsIsKeyedBlake2b) {
  const SecretBytes key = CountingMasterKey();
  SecretBytes secret(32);
  for (size_t i = 0; i < secret.size(); ++i) secret.data()[i] = static_cast<uint8_t>(32 + i);
  auto combined = CombineSecrets(key, "test-label", secret);
  ASSERT_THAT(combined.status(), IsOk());
  EXPECT_EQ(HexEncode(combined->view()),
            "475a30f59c139f9344a2f44c3e7b2fd8345ff79784d16796f931f4f96b4a6ebf");
  // Each input matters.
  auto other_label = CombineSecrets(key, "test-labe1", secret);
  secret.data()[0] ^= 1;
  auto other_secret = CombineSecrets(key, "test-label", secret);
  EXPECT_NE(HexEncode(other_label->view()), HexEncode(combined->view()));
  EXPECT_NE(HexEncode(other_secret->view()), HexEncode(combined->view()));
  EXPECT_THAT(CombineSecrets(SecretBytes(31), "x", secret).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::crypto
