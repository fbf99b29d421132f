#include "crypto/password_hash.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "crypto/internal/argon2id.h"
#include "crypto/random.h"
#include "testing/hex.h"
#include "testing/status_matchers.h"

namespace sealpost::crypto {
namespace {

// Every test uses the cheapest parameters our policy allows.
constexpr PasswordHashParams kFast = kMinimumPasswordHashParams;

using testutil::Hex;

TEST(PasswordHashTest, ValidateEnforcesOwaspMinimum) {
  EXPECT_THAT(kMinimumPasswordHashParams.Validate(), IsOk());
  EXPECT_THAT(kInteractivePasswordHashParams.Validate(), IsOk());
  EXPECT_THAT((PasswordHashParams{2, 19 * 1024 * 1024 - 1}).Validate(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT((PasswordHashParams{1, 64 * 1024 * 1024}).Validate(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT((PasswordHashParams{0, 0}).Validate(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT((PasswordHashParams{uint64_t{1} << 32, 19 * 1024 * 1024}).Validate(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT((PasswordHashParams{2, SIZE_MAX}).Validate(), StatusIs(ErrorCode::kInvalidArgument));
}

// libsodium test/default/pwhash_argon2id.c tv() cases 0 and 1, expected outputs from
// pwhash_argon2id.exp. libsodium reads only the first 16 bytes of each 32-byte salt. These costs
// are below our policy, so the raw function is used.
TEST(PasswordHashTest, LibsodiumArgon2idVectors) {
  const struct {
    const char* password_hex;
    const char* salt_hex;
    size_t out_len;
    uint64_t ops;
    size_t mem;
    const char* expected;
  } vectors[] = {
      {"a347ae92bce9f80f6f595a4480fc9c2fe7e7d7148d371e9487d75f5c23008ffae065577a928febd9b1973a5a95"
       "073acdbeb6a030cfc0d79caa2dc5cd011cef02c08da232d76d52dfbca38ca8dcbd665b17d1665f7cf5fe59772e"
       "c909733b24de97d6f58d220b20c60d7c07ec1fd93c52c31020300c6c1facd77937a597c7a6",
       "5541fbc995d5c197ba290346d2c559de", 155, 5, 7256678,
       "18acec5d6507739f203d1f5d9f1d862f7c2cdac4f19d2bdff64487e60d969e3ced615337b9eec6ac4461c6ca07"
       "f0939741e57c24d0005c7ea171a0ee1e7348249d135b38f222e4dad7b9a033ed83f5ca27277393e316582033c7"
       "4affe2566a2bea47f91f0fd9fe49ece7e1f79f3ad6e9b23e0277c8ecc4b313225748dd2a80f5679534a0700e24"
       "6a79a49b3f74eb89ec6205fe1eeb941c73b1fcf1"},
      {"e125cee61c8cb7778d9e5ad0a6f5d978ce9f84de213a8556d9ffe202020ab4a6ed9074a4eb3416f9b168f13751"
       "0f3a30b70b96cbfa219ff99f6c6eaffb15c06b60e00cc2890277f0fd3c622115772f7048adaebed86e",
       "f1192dd5dc2368b9cd421338b2243345", 250, 4, 7849083,
       "26bab5f101560e48c711da4f05e81f5a3802b7a93d5155b9cab153069cc42b8e9f910bfead747652a0708d70e4"
       "de0bada37218bd203a1201c36b42f9a269b675b1f30cfc36f35a3030e9c7f57dfba0d341a974c1886f708c3e82"
       "97efbfe411bb9d51375264bd7c70d57a8a56fc9de2c1c97c08776803ec2cd0140bba8e61dc0f4ad3d3d1a89b4b"
       "710af81bfe35a0eea193e18a6da0f5ec05542c9eefc4584458e1da715611ba09617384748bd43b9bf1f3a6df4e"
       "cd091d0875e08d6e2fd8a5c7ce08904b5160cd38167b76ec76ef2d310049055a564da23d4ebd2b87e421cc33c4"
       "01e12d5cd8d936c9baf75ebdfb557d342d2858fc781da31860"},
  };
  for (const auto& v : vectors) {
    const Bytes password = Hex(v.password_hex);
    Bytes out(v.out_len);
    ASSERT_THAT(internal::Argon2idDerive(out, AsChars(password), Hex(v.salt_hex), v.ops, v.mem),
                IsOk());
    EXPECT_EQ(HexEncode(out), v.expected);
  }
}

TEST(PasswordHashTest, VerifiesPublishedPhcStrings) {
  // phc-winner-argon2 src/test.c, Argon2id v=0x13, t=2, m=2^8, p=1, "password", "somesalt".
  constexpr std::string_view kPhc =
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
  EXPECT_TRUE(VerifyStoredPasswordHash(kPhc, "password"));
  EXPECT_FALSE(VerifyStoredPasswordHash(kPhc, "passwore"));
  EXPECT_FALSE(VerifyStoredPasswordHash(kPhc, "Password"));
  EXPECT_FALSE(VerifyStoredPasswordHash(kPhc, ""));
  std::string flipped(kPhc);
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyStoredPasswordHash(flipped, "password"));

  // libsodium test/default/pwhash_argon2id.c tv3() case 2 (empty password; verifies).
  EXPECT_TRUE(
      VerifyStoredPasswordHash("$argon2id$v=19$m=4882,t=2,p=1$bA81arsiXysd3WbTRzmEOw$Nm8QBM+"
                               "7RH1DXo9rvp5cwKEOOOfD2g6JuxlXihoN"
                               "cpE",
                               ""));
}

TEST(PasswordHashTest, RefusesOtherAlgorithmsAndGarbage) {
  // phc-winner-argon2 src/test.c, Argon2i v=0x13 with the right password: not argon2id.
  EXPECT_FALSE(VerifyStoredPasswordHash(
      "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8",
      "password"));
  EXPECT_FALSE(VerifyStoredPasswordHash("", "password"));
  EXPECT_FALSE(VerifyStoredPasswordHash("$argon2id$", "password"));
  EXPECT_FALSE(VerifyStoredPasswordHash("not a hash", ""));
  EXPECT_FALSE(VerifyStoredPasswordHash(std::string(200, '$'), "password"));
  const std::string with_nul("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65\0", 46);
  EXPECT_FALSE(VerifyStoredPasswordHash(with_nul, "password"));
}

TEST(PasswordHashTest, HashForStorageRoundTrip) {
  auto stored = HashPasswordForStorage("correct horse battery staple", kFast);
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_EQ(stored->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *stored;
  EXPECT_TRUE(VerifyStoredPasswordHash(*stored, "correct horse battery staple"));
  EXPECT_FALSE(VerifyStoredPasswordHash(*stored, "correct horse battery stapl"));
  EXPECT_FALSE(PasswordHashNeedsRehash(*stored, kFast));
  EXPECT_TRUE(PasswordHashNeedsRehash(*stored, kInteractivePasswordHashParams));
  EXPECT_TRUE(PasswordHashNeedsRehash("garbage", kFast));

  auto again = HashPasswordForStorage("correct horse battery staple", kFast);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_NE(*stored, *again);  // Fresh salt each time.
}

TEST(PasswordHashTest, HashForStorageRefusesBadInput) {
  EXPECT_THAT(HashPasswordForStorage("pw", PasswordHashParams{1, 19 * 1024 * 1024}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(HashPasswordForStorage(std::string(kMaxPasswordBytes + 1, 'x'), kFast).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_FALSE(VerifyStoredPasswordHash(
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      std::string(kMaxPasswordBytes + 1, 'x')));
}

TEST(PasswordHashTest, DeriveKeyIsDeterministicPerSalt) {
  const Bytes salt = RandomBytes(kPasswordSaltBytes);
  auto a = DeriveKeyFromPassword("hunter2", salt, kFast);
  auto b = DeriveKeyFromPassword("hunter2", salt, kFast);
  auto other_salt = DeriveKeyFromPassword("hunter2", RandomBytes(kPasswordSaltBytes), kFast);
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  ASSERT_THAT(other_salt.status(), IsOk());
  EXPECT_EQ(a->ExposeSecret().size(), kAeadKeyBytes);
  EXPECT_TRUE(ConstantTimeEquals(a->ExposeSecret().view(), b->ExposeSecret().view()));
  EXPECT_FALSE(ConstantTimeEquals(a->ExposeSecret().view(), other_salt->ExposeSecret().view()));

  // The derived key works as an AEAD key: what one derivation seals, the other opens.
  const Bytes sealed = AeadSeal(a->aead(), AsBytes("umk"), AsBytes("umk/v1"));
  auto opened = AeadOpen(b->aead(), sealed, AsBytes("umk/v1"));
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), "umk");
  EXPECT_THAT(AeadOpen(other_salt->aead(), sealed, AsBytes("umk/v1")).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST(PasswordHashTest, DeriveKeyRefusesBadInput) {
  const Bytes salt = RandomBytes(kPasswordSaltBytes);
  EXPECT_THAT(DeriveKeyFromPassword("pw", RandomBytes(15), kFast).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveKeyFromPassword("pw", RandomBytes(17), kFast).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveKeyFromPassword("pw", salt, PasswordHashParams{2, 1024 * 1024}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(DeriveKeyFromPassword(std::string(kMaxPasswordBytes + 1, 'x'), salt, kFast).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(PasswordHashTest, RawDeriveChecksSizes) {
  std::array<uint8_t, 32> out{};
  EXPECT_THAT(internal::Argon2idDerive(out, "pw", Bytes(15, 0), 2, 8192),
              StatusIs(ErrorCode::kInvalidArgument));
  std::array<uint8_t, 15> short_out{};
  EXPECT_THAT(internal::Argon2idDerive(short_out, "pw", Bytes(16, 0), 2, 8192),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::Argon2idDerive(out, "pw", Bytes(16, 0), 0, 8192),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::Argon2idDerive(out, "pw", Bytes(16, 0), 2, 8191),
              StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::crypto
