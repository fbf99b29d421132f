#include "crypto/signature.h"

#include <gtest/gtest.h>

#include <string_view>

#include "core/encoding.h"
#include "crypto/random.h"
#include "testing/hex.h"
#include "testing/status_matchers.h"

namespace sealpost::crypto {
namespace {

using testutil::Hex;

void ExpectDoesNotVerify(const Status& s) {
  EXPECT_THAT(s, StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(s.message(), "signature does not verify");
}

struct Rfc8032Vector {
  const char* name;
  const char* secret_key;  // The RFC's "SECRET KEY" is the 32-byte seed.
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1, TEST 2 and TEST 3.
constexpr Rfc8032Vector kRfc8032Vectors[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(SignatureTest, Rfc8032KnownAnswers) {
  for (const Rfc8032Vector& v : kRfc8032Vectors) {
    SCOPED_TRACE(v.name);
    auto key = SigningKey::FromSeed(SecretBytes::CopyOf(Hex(v.secret_key)));
    ASSERT_THAT(key.status(), IsOk());
    EXPECT_EQ(HexEncode(key->verify_key().bytes()), v.public_key);
    EXPECT_EQ(HexEncode(key->ExposeSeed().view()), v.secret_key);

    const Bytes message = Hex(v.message);
    const Bytes signature = key->Sign(message);
    EXPECT_EQ(HexEncode(signature), v.signature);

    // Verify the published signature with the published public key.
    auto vk = VerifyKey::FromBytes(Hex(v.public_key));
    ASSERT_THAT(vk.status(), IsOk());
    const Bytes published = Hex(v.signature);
    EXPECT_THAT(Verify(*vk, message, published), IsOk());

    // Flip-one-byte negatives: every byte of the signature, and of the message.
    for (size_t i = 0; i < published.size(); ++i) {
      Bytes bad = published;
      bad[i] ^= 0x01;
      ExpectDoesNotVerify(Verify(*vk, message, bad));
    }
    for (size_t i = 0; i < message.size(); ++i) {
      Bytes bad = message;
      bad[i] ^= 0x01;
      ExpectDoesNotVerify(Verify(*vk, bad, published));
    }
    Bytes longer = message;
    longer.push_back(0);
    ExpectDoesNotVerify(Verify(*vk, longer, published));
  }
}

TEST(SignatureTest, GenerateSignVerify) {
  const SigningKey key = SigningKey::Generate();
  const Bytes message = RandomBytes(300);
  const Bytes signature = key.Sign(message);
  ASSERT_EQ(signature.size(), kSignatureBytes);
  EXPECT_THAT(Verify(key.verify_key(), message, signature), IsOk());
  EXPECT_EQ(key.Sign(message), signature);  // Deterministic.
  ExpectDoesNotVerify(Verify(SigningKey::Generate().verify_key(), message, signature));
}

TEST(SignatureTest, WrongLengthSignatureFails) {
  const SigningKey key = SigningKey::Generate();
  const Bytes signature = key.Sign(AsBytes("m"));
  ExpectDoesNotVerify(Verify(key.verify_key(), AsBytes("m"), {}));
  ExpectDoesNotVerify(Verify(key.verify_key(), AsBytes("m"), ByteView(signature).first(63)));
  Bytes longer = signature;
  longer.push_back(0);
  ExpectDoesNotVerify(Verify(key.verify_key(), AsBytes("m"), longer));
}

TEST(SignatureTest, KeyRebuiltFromSeed) {
  const SigningKey key = SigningKey::Generate();
  auto rebuilt = SigningKey::FromSeed(key.ExposeSeed());
  ASSERT_THAT(rebuilt.status(), IsOk());
  EXPECT_EQ(rebuilt->verify_key(), key.verify_key());
  EXPECT_EQ(rebuilt->Sign(AsBytes("m")), key.Sign(AsBytes("m")));
}

TEST(SignatureTest, FromSeedChecksSize) {
  EXPECT_THAT(SigningKey::FromSeed(SecretBytes(31)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SigningKey::FromSeed(SecretBytes(64)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(SignatureTest, VerifyKeyFromBytesRejectsBadKeys) {
  EXPECT_THAT(VerifyKey::FromBytes(Bytes(31, 1)).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(VerifyKey::FromBytes(Bytes(33, 1)).status(), StatusIs(ErrorCode::kInvalidArgument));
  // The identity point (y = 1) has small order.
  Bytes identity(32, 0);
  identity[0] = 1;
  EXPECT_THAT(VerifyKey::FromBytes(identity).status(), StatusIs(ErrorCode::kInvalidArgument));
  // y = 2^255 - 1 (bytes ff…ff7f) is not a canonical field element.
  Bytes non_canonical(32, 0xff);
  non_canonical[31] = 0x7f;
  EXPECT_THAT(VerifyKey::FromBytes(non_canonical).status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::crypto
