#include "crypto/aead.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <string_view>

#include "core/encoding.h"
#include "crypto/internal/aead_with_nonce.h"
#include "crypto/random.h"
#include "testing/hex.h"
#include "testing/status_matchers.h"

namespace sealpost::crypto {
namespace {

using testutil::Hex;

Bytes Concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

AeadKey KeyFromHex(std::string_view hex) {
  auto key = AeadKey::FromSecret(SecretBytes::CopyOf(Hex(hex)));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

void ExpectDecryptionFailed(const Result<SecretBytes>& r) {
  ASSERT_THAT(r.status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(r.status().message(), "decryption failed");
}

// draft-irtf-cfrg-xchacha-03, Appendix A.3.1 (AEAD_XCHACHA20_POLY1305).
TEST(AeadTest, DraftXChaChaA31KnownAnswer) {
  const AeadKey key =
      KeyFromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const Bytes nonce = Hex("404142434445464748494a4b4c4d4e4f5051525354555657");
  const Bytes aad = Hex("50515253c0c1c2c3c4c5c6c7");
  const Bytes plaintext =
      Hex("4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
          "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
          "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
          "637265656e20776f756c642062652069742e");
  const Bytes ciphertext =
      Hex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
          "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
          "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
          "21f9664c97637da9768812f615c68b13b52e");
  const Bytes tag = Hex("c0875924c1c7987947deafd8780acf49");
  ASSERT_EQ(AsChars(plaintext).substr(0, 20), "Ladies and Gentlemen");

  // A legacy v1 frame assembled from the published values alone, as stored data holds them.
  const Bytes framed = Concat({Bytes{0x01}, nonce, ciphertext, tag});
  EXPECT_EQ(internal::AeadSealWithNonce(key, nonce, plaintext, aad, kAeadVersionV1), framed);

  auto opened = AeadOpen(key, framed, aad);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(AsChars(opened->view()), AsChars(plaintext));

  // Flip-one-byte negatives on the published vector.
  for (size_t i = 0; i < framed.size(); ++i) {
    Bytes bad = framed;
    bad[i] ^= 0x01;
    ExpectDecryptionFailed(AeadOpen(key, bad, aad));
  }
  Bytes bad_aad = aad;
  bad_aad[0] ^= 0x01;
  ExpectDecryptionFailed(AeadOpen(key, framed, bad_aad));
}

// A v1 frame made by libsodium directly (not by AeadSeal) still opens: the legacy read path.
TEST(AeadTest, LegacyV1FrameFromLibsodiumOpens) {
  const AeadKey key = AeadKey::Generate();
  const Bytes nonce = RandomBytes(kAeadNonceBytes);
  const std::string_view plaintext = "stored before key ids";
  const std::string_view ad = "sealpost/umk/v1|password|u1";
  Bytes framed(1 + kAeadNonceBytes + plaintext.size() + kAeadTagBytes);
  framed[0] = 0x01;
  std::copy(nonce.begin(), nonce.end(), framed.begin() + 1);
  unsigned long long len = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(
                framed.data() + 1 + kAeadNonceBytes, &len,
                reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
                reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce.data(),
                key.ExposeSecret().data()),
            0);
  auto opened = AeadOpen(key, framed, AsBytes(ad));
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), plaintext);
  EXPECT_THAT(FramedKeyId(framed).status(), StatusIs(ErrorCode::kNotFound));
  for (size_t i = 0; i < framed.size(); ++i) {
    Bytes bad = framed;
    bad[i] ^= 0x01;
    ExpectDecryptionFailed(AeadOpen(key, bad, AsBytes(ad)));
  }
}

// The key id is the first 4 bytes of crypto_kdf(key, id 1, "spkeyid1"); the v2 tag covers
// version ‖ key id ‖ associated data. Both checked against libsodium called directly.
TEST(AeadTest, V2LayoutMatchesLibsodium) {
  const AeadKey key =
      KeyFromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  uint8_t subkey[16];
  ASSERT_EQ(
      crypto_kdf_derive_from_key(subkey, sizeof subkey, 1, "spkeyid1", key.ExposeSecret().data()),
      0);
  const Bytes key_id(subkey, subkey + kAeadKeyIdBytes);
  EXPECT_EQ(Bytes(key.key_id().begin(), key.key_id().end()), key_id);

  const Bytes nonce = Hex("404142434445464748494a4b4c4d4e4f5051525354555657");
  const Bytes aad = Hex("50515253c0c1c2c3c4c5c6c7");
  const std::string_view text = "Ladies and Gentlemen";
  const Bytes plaintext(text.begin(), text.end());
  const Bytes full_ad = Concat({Bytes{0x02}, key_id, aad});
  Bytes ct(plaintext.size() + kAeadTagBytes);
  unsigned long long len = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(
                ct.data(), &len, plaintext.data(), plaintext.size(), full_ad.data(), full_ad.size(),
                nullptr, nonce.data(), key.ExposeSecret().data()),
            0);
  const Bytes framed = internal::AeadSealWithNonce(key, nonce, plaintext, aad, kAeadVersion);
  EXPECT_EQ(framed, Concat({Bytes{0x02}, key_id, nonce, ct}));
  auto opened = AeadOpen(key, framed, aad);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), "Ladies and Gentlemen");
}

TEST(AeadTest, FramedKeyIdNamesTheSealingKey) {
  const AeadKey a = AeadKey::Generate();
  const AeadKey b = AeadKey::Generate();
  EXPECT_NE(a.key_id(), b.key_id());
  auto id = FramedKeyId(AeadSeal(a, AsBytes("x"), {}));
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(*id, a.key_id());
  // A copy of the key has the same id.
  auto copy = AeadKey::FromSecret(SecretBytes::CopyOf(a.ExposeSecret().view()));
  ASSERT_THAT(copy.status(), IsOk());
  EXPECT_EQ(copy->key_id(), a.key_id());
  EXPECT_THAT(FramedKeyId({}).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(FramedKeyId(Bytes(kAeadOverhead - 1, 0x02)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(FramedKeyId(Bytes(kAeadOverhead, 0x03)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

// The key id is authenticated: a v2 frame whose header is changed, or that is rewritten as a v1
// frame without its key id, does not open.
TEST(AeadTest, KeyIdIsCoveredByTheTag) {
  const AeadKey key = AeadKey::Generate();
  const Bytes framed = AeadSeal(key, AsBytes("attack at dawn"), AsBytes("ad"));
  for (size_t i = 1; i <= kAeadKeyIdBytes; ++i) {
    Bytes bad = framed;
    bad[i] ^= 0x01;
    ExpectDecryptionFailed(AeadOpen(key, bad, AsBytes("ad")));
  }
  Bytes as_v1;
  as_v1.push_back(kAeadVersionV1);
  as_v1.insert(as_v1.end(), framed.begin() + 1 + kAeadKeyIdBytes, framed.end());
  ExpectDecryptionFailed(AeadOpen(key, as_v1, AsBytes("ad")));
}

TEST(AeadTest, RoundTripVariousSizes) {
  const AeadKey key = AeadKey::Generate();
  for (size_t n : {0, 1, 15, 16, 17, 1000, 70000}) {
    const Bytes plaintext = RandomBytes(n);
    const Bytes framed = AeadSeal(key, plaintext, AsBytes("ad"));
    EXPECT_EQ(framed.size(), n + kAeadOverhead);
    EXPECT_EQ(framed[0], kAeadVersion);
    auto opened = AeadOpen(key, framed, AsBytes("ad"));
    ASSERT_THAT(opened.status(), IsOk());
    EXPECT_TRUE(ConstantTimeEquals(opened->view(), plaintext));
  }
}

TEST(AeadTest, EmptyAssociatedDataRoundTrips) {
  const AeadKey key = AeadKey::Generate();
  const Bytes framed = AeadSeal(key, AsBytes("hello"), {});
  auto opened = AeadOpen(key, framed, {});
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), "hello");
  ExpectDecryptionFailed(AeadOpen(key, framed, AsBytes("x")));
}

TEST(AeadTest, NonceIsFreshEachTime) {
  const AeadKey key = AeadKey::Generate();
  const Bytes a = AeadSeal(key, AsBytes("same"), AsBytes("ad"));
  const Bytes b = AeadSeal(key, AsBytes("same"), AsBytes("ad"));
  constexpr size_t kNonceAt = 1 + kAeadKeyIdBytes;
  EXPECT_NE(Bytes(a.begin() + kNonceAt, a.begin() + kNonceAt + kAeadNonceBytes),
            Bytes(b.begin() + kNonceAt, b.begin() + kNonceAt + kAeadNonceBytes));
  EXPECT_NE(a, b);
}

// Version, key id, nonce, ciphertext and tag regions: every single-byte change is refused.
TEST(AeadTest, FlippingAnyByteFails) {
  const AeadKey key = AeadKey::Generate();
  const Bytes framed = AeadSeal(key, AsBytes("attack at dawn"), AsBytes("blob/v1"));
  for (size_t i = 0; i < framed.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80}) {
      Bytes bad = framed;
      bad[i] ^= mask;
      ExpectDecryptionFailed(AeadOpen(key, bad, AsBytes("blob/v1")));
    }
  }
}

TEST(AeadTest, WrongKeyOrAssociatedDataFails) {
  const AeadKey key = AeadKey::Generate();
  const Bytes framed = AeadSeal(key, AsBytes("attack at dawn"), AsBytes("blob/v1 id=1"));
  ExpectDecryptionFailed(AeadOpen(AeadKey::Generate(), framed, AsBytes("blob/v1 id=1")));
  ExpectDecryptionFailed(AeadOpen(key, framed, AsBytes("blob/v1 id=2")));
  ExpectDecryptionFailed(AeadOpen(key, framed, {}));
}

TEST(AeadTest, TruncatedOrExtendedInputFails) {
  const AeadKey key = AeadKey::Generate();
  const Bytes framed = AeadSeal(key, AsBytes("attack at dawn"), {});
  for (size_t n = 0; n < framed.size(); ++n) {
    ExpectDecryptionFailed(AeadOpen(key, ByteView(framed).first(n), {}));
  }
  Bytes longer = framed;
  longer.push_back(0);
  ExpectDecryptionFailed(AeadOpen(key, longer, {}));
}

TEST(AeadTest, UnknownVersionFails) {
  const AeadKey key = AeadKey::Generate();
  Bytes framed = AeadSeal(key, {}, {});
  for (uint8_t v : {0x00, 0x01, 0x03, 0xff}) {
    framed[0] = v;
    ExpectDecryptionFailed(AeadOpen(key, framed, {}));
  }
}

TEST(AeadTest, KeyFromSecretChecksSize) {
  EXPECT_THAT(AeadKey::FromSecret(SecretBytes(31)).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(AeadKey::FromSecret(SecretBytes(33)).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(AeadKey::FromSecret(SecretBytes(0)).status(), StatusIs(ErrorCode::kInvalidArgument));
  auto key = AeadKey::FromSecret(RandomSecret(32));
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(key->ExposeSecret().size(), kAeadKeyBytes);
}

TEST(AeadTest, KeyRebuiltFromExposedSecretOpens) {
  const AeadKey key = AeadKey::Generate();
  const Bytes framed = AeadSeal(key, AsBytes("x"), {});
  auto copy = AeadKey::FromSecret(SecretBytes::CopyOf(key.ExposeSecret().view()));
  ASSERT_THAT(copy.status(), IsOk());
  auto opened = AeadOpen(*copy, framed, {});
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), "x");
}

}  // namespace
}  // namespace sealpost::crypto
