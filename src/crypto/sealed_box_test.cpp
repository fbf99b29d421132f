#include "crypto/sealed_box.h"

#include <gtest/gtest.h>

#include <string_view>

#include "core/encoding.h"
#include "crypto/random.h"
#include "testing/hex.h"
#include "testing/status_matchers.h"

namespace sealpost::crypto {
namespace {

using testutil::Hex;

void ExpectDecryptionFailed(const Result<SecretBytes>& r) {
  ASSERT_THAT(r.status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(r.status().message(), "decryption failed");
}

// RFC 7748 §6.1: Alice's and Bob's X25519 private keys and the public keys derived from them.
TEST(SealedBoxTest, Rfc7748PublicKeyDerivation) {
  const std::pair<const char*, const char*> vectors[] = {
      {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
       "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
      {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
       "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"},
  };
  for (const auto& [secret_hex, public_hex] : vectors) {
    auto pair = BoxKeyPair::FromSecret(SecretBytes::CopyOf(Hex(secret_hex)));
    ASSERT_THAT(pair.status(), IsOk());
    EXPECT_EQ(HexEncode(pair->public_key().bytes()), public_hex);
    EXPECT_EQ(HexEncode(pair->ExposeSecret().view()), secret_hex);
  }
}

TEST(SealedBoxTest, RoundTrip) {
  const BoxKeyPair recipient = BoxKeyPair::Generate();
  for (size_t n : {0, 1, 32, 5000}) {
    const Bytes plaintext = RandomBytes(n);
    const Bytes sealed = SealTo(recipient.public_key(), plaintext);
    EXPECT_EQ(sealed.size(), n + kSealOverhead);
    auto opened = OpenSealed(recipient, sealed);
    ASSERT_THAT(opened.status(), IsOk());
    EXPECT_TRUE(ConstantTimeEquals(opened->view(), plaintext));
  }
}

TEST(SealedBoxTest, SealsDifferEachTime) {
  const BoxKeyPair recipient = BoxKeyPair::Generate();
  EXPECT_NE(SealTo(recipient.public_key(), AsBytes("k")),
            SealTo(recipient.public_key(), AsBytes("k")));
}

// Ephemeral key, ciphertext and tag regions: every single-byte change is refused.
TEST(SealedBoxTest, FlippingAnyByteFails) {
  const BoxKeyPair recipient = BoxKeyPair::Generate();
  const Bytes sealed = SealTo(recipient.public_key(), AsBytes("data key bytes"));
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    ExpectDecryptionFailed(OpenSealed(recipient, bad));
  }
}

TEST(SealedBoxTest, WrongRecipientFails) {
  const BoxKeyPair recipient = BoxKeyPair::Generate();
  const Bytes sealed = SealTo(recipient.public_key(), AsBytes("data key"));
  ExpectDecryptionFailed(OpenSealed(BoxKeyPair::Generate(), sealed));
}

TEST(SealedBoxTest, TruncatedOrExtendedFails) {
  const BoxKeyPair recipient = BoxKeyPair::Generate();
  const Bytes sealed = SealTo(recipient.public_key(), AsBytes("data key"));
  for (size_t n = 0; n < sealed.size(); ++n) {
    ExpectDecryptionFailed(OpenSealed(recipient, ByteView(sealed).first(n)));
  }
  Bytes longer = sealed;
  longer.push_back(0);
  ExpectDecryptionFailed(OpenSealed(recipient, longer));
}

TEST(SealedBoxTest, KeyPairRebuiltFromSecret) {
  const BoxKeyPair original = BoxKeyPair::Generate();
  auto rebuilt = BoxKeyPair::FromSecret(SecretBytes::CopyOf(original.ExposeSecret().view()));
  ASSERT_THAT(rebuilt.status(), IsOk());
  EXPECT_EQ(rebuilt->public_key(), original.public_key());
  const Bytes sealed = SealTo(original.public_key(), AsBytes("x"));
  auto opened = OpenSealed(*rebuilt, sealed);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), "x");
}

TEST(SealedBoxTest, PublicKeyFromBytes) {
  const BoxKeyPair pair = BoxKeyPair::Generate();
  auto pk = BoxPublicKey::FromBytes(pair.public_key().bytes());
  ASSERT_THAT(pk.status(), IsOk());
  EXPECT_EQ(*pk, pair.public_key());

  EXPECT_THAT(BoxPublicKey::FromBytes(Bytes(31, 9)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(BoxPublicKey::FromBytes(Bytes(33, 9)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // Low-order points: u = 0 and u = 1.
  EXPECT_THAT(BoxPublicKey::FromBytes(Bytes(32, 0)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_THAT(BoxPublicKey::FromBytes(one).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(SealedBoxTest, FromSecretChecksSize) {
  EXPECT_THAT(BoxKeyPair::FromSecret(SecretBytes(31)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(BoxKeyPair::FromSecret(SecretBytes(64)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::crypto
