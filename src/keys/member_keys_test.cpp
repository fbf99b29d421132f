#include "keys/member_keys.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "keys/data_key.h"

#include "testing/status_matchers.h"

namespace sealpost::keys {
namespace {

const UserId kAlice = UserId::FromTrusted(std::string(32, 'a'));
const UserId kBob = UserId::FromTrusted(std::string(32, 'b'));

TEST(MemberKeysTest, BundleRoundTripKeepsKeys) {
  const auto umk = crypto::Umk::Generate();
  const auto bundle = MemberKeyBundle::Generate();
  const Bytes wrapped = WrapBundle(umk, bundle, kAlice);
  auto back = UnwrapBundle(umk, wrapped, kAlice);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(
      crypto::ConstantTimeEquals(back->box.public_key().bytes(), bundle.box.public_key().bytes()));
  EXPECT_TRUE(crypto::ConstantTimeEquals(back->signing.verify_key().bytes(),
                                         bundle.signing.verify_key().bytes()));
}

TEST(MemberKeysTest, BundleIsBoundToUserAndKey) {
  const auto umk = crypto::Umk::Generate();
  const Bytes wrapped = WrapBundle(umk, MemberKeyBundle::Generate(), kAlice);
  EXPECT_THAT(UnwrapBundle(umk, wrapped, kBob).status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapBundle(crypto::Umk::Generate(), wrapped, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  Bytes flipped = wrapped;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_THAT(UnwrapBundle(umk, flipped, kAlice).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MemberKeysTest, CertifiedKeysRoundTripAndAreBoundToKindUserAndUmk) {
  const auto umk = crypto::Umk::Generate();
  const crypto::SecretBytes pkcs8 = crypto::SecretBytes::CopyOf(AsBytes("pkcs8 private key"));
  const Bytes wrapped = WrapCertifiedKey(umk, CertifiedKeyKind::kSmime, pkcs8, kAlice);
  auto back = UnwrapCertifiedKey(umk, CertifiedKeyKind::kSmime, wrapped, kAlice);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(back->AsStringView(), "pkcs8 private key");

  EXPECT_THAT(UnwrapCertifiedKey(umk, CertifiedKeyKind::kOpenPgp, wrapped, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapCertifiedKey(umk, CertifiedKeyKind::kSmime, wrapped, kBob).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapCertifiedKey(crypto::Umk::Generate(), CertifiedKeyKind::kSmime, wrapped, kAlice)
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));
  Bytes flipped = wrapped;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_THAT(UnwrapCertifiedKey(umk, CertifiedKeyKind::kSmime, flipped, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  // Not the member-keys bundle either.
  EXPECT_THAT(UnwrapBundle(umk, wrapped, kAlice).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MemberKeysTest, UmkSlotsAreNotInterchangeable) {
  const auto kek = crypto::Kek::Generate();
  const auto umk = crypto::Umk::Generate();
  const Bytes wrapped = WrapUmk(kek, umk, UmkSlot::kPassword, kAlice);
  auto back = UnwrapUmk(kek, wrapped, UmkSlot::kPassword, kAlice);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(crypto::ConstantTimeEquals(back->ExposeSecret().view(), umk.ExposeSecret().view()));
  EXPECT_THAT(UnwrapUmk(kek, wrapped, UmkSlot::kSession, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MemberKeysTest, HalvesMatchTheWholeBundle) {
  const auto umk = crypto::Umk::Generate();
  const auto bundle = MemberKeyBundle::Generate();
  const Bytes wrapped = WrapBundle(umk, bundle, kAlice);
  auto box = UnwrapBoxKey(umk, wrapped, kAlice);
  auto signing = UnwrapSigningKey(umk, wrapped, kAlice);
  ASSERT_THAT(box.status(), IsOk());
  ASSERT_THAT(signing.status(), IsOk());
  EXPECT_TRUE(box->public_key() == bundle.box.public_key());
  EXPECT_TRUE(signing->verify_key() == bundle.signing.verify_key());
  EXPECT_THAT(UnwrapSigningKey(umk, wrapped, kBob).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MemberKeysTest, OwnCopyKeyIsBoundToMessageAndOwner) {
  const auto umk = crypto::Umk::Generate();
  const MessageId m1 = MessageId::FromTrusted(std::string(32, '1'));
  const MessageId m2 = MessageId::FromTrusted(std::string(32, '2'));
  const auto data_key = crypto::DataKey::Generate();
  const Bytes wrapped = WrapOwnCopyKey(umk, data_key, m1, kAlice);
  auto back = UnwrapOwnCopyKey(umk, wrapped, m1, kAlice);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(
      crypto::ConstantTimeEquals(back->ExposeSecret().view(), data_key.ExposeSecret().view()));
  EXPECT_THAT(UnwrapOwnCopyKey(umk, wrapped, m2, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapOwnCopyKey(umk, wrapped, m1, kBob).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  Bytes flipped = wrapped;
  flipped.back() ^= 1;
  EXPECT_THAT(UnwrapOwnCopyKey(umk, flipped, m1, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

// Key roles are types: the wrapping functions accept their keys in their roles only. These are
// compile-time checks; the test body only makes them show up in the test list.
using WrapUmkFn = decltype(&WrapUmk);
static_assert(
    std::is_invocable_v<WrapUmkFn, const crypto::Kek&, const crypto::Umk&, UmkSlot, const UserId&>);
static_assert(
    !std::is_invocable_v<WrapUmkFn, const crypto::Umk&, const crypto::Kek&, UmkSlot, const UserId&>,
    "WrapUmk(umk, kek) with swapped arguments must not compile");
static_assert(!std::is_invocable_v<WrapUmkFn, const crypto::AeadKey&, const crypto::AeadKey&,
                                   UmkSlot, const UserId&>,
              "untyped keys must not pass for a KEK or a UMK");
static_assert(!std::is_invocable_v<decltype(&UnwrapUmk), const crypto::Umk&, ByteView, UmkSlot,
                                   const UserId&>);
static_assert(!std::is_invocable_v<decltype(&WrapBundle), const crypto::Kek&,
                                   const MemberKeyBundle&, const UserId&>);
static_assert(!std::is_invocable_v<decltype(&WrapOwnCopyKey), const crypto::Umk&,
                                   const crypto::Umk&, const MessageId&, const UserId&>,
              "only a data key is wrapped as an own copy");
static_assert(!std::is_invocable_v<decltype(&WrapDataKey), const crypto::DataKey&,
                                   const crypto::Kek&, std::string_view>);
static_assert(
    !std::is_invocable_v<decltype(&SealDataKeyTo), const crypto::BoxPublicKey&, const crypto::Umk&>,
    "a UMK is never sealed to a reader");
// No conversions between roles or from an untyped key, and no copies.
static_assert(!std::is_convertible_v<crypto::Kek, crypto::Umk>);
static_assert(!std::is_constructible_v<crypto::Umk, crypto::Kek>);
static_assert(!std::is_constructible_v<crypto::Umk, crypto::AeadKey>);
static_assert(!std::is_constructible_v<crypto::DataKey, crypto::BlobKey>);
static_assert(!std::is_copy_constructible_v<crypto::Umk>);

TEST(MemberKeysTest, KeyRolesDoNotMix) { SUCCEED(); }

TEST(MemberKeysTest, DataKeyWrapsAreBoundToTheirKeyAndRecord) {
  const auto kek = crypto::Kek::Generate();
  const auto data_key = crypto::DataKey::Generate();
  const Bytes wrapped = WrapDataKey(kek, data_key, "sealpost/pickup-key/v1|m|a@example.org");
  auto back = UnwrapDataKey(kek, wrapped, "sealpost/pickup-key/v1|m|a@example.org");
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(back->key_id(), data_key.key_id());
  EXPECT_THAT(UnwrapDataKey(kek, wrapped, "sealpost/pickup-key/v1|m|b@example.org").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(
      UnwrapDataKey(crypto::Kek::Generate(), wrapped, "sealpost/pickup-key/v1|m|a@example.org")
          .status(),
      StatusIs(ErrorCode::kUnauthenticated));
  const auto reader = crypto::BoxKeyPair::Generate();
  auto opened = OpenSealedDataKey(reader, SealDataKeyTo(reader.public_key(), data_key));
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->key_id(), data_key.key_id());
}

TEST(MemberKeysTest, RecoveryCodesNormalise) {
  const RecoveryCode code = GenerateRecoveryCode();
  const std::string shown(code.text.AsStringView());
  EXPECT_EQ(shown.size(), 39u);
  EXPECT_EQ(shown[4], '-');
  std::string typed;
  for (char c : shown) typed += (c == '-') ? ' ' : static_cast<char>(std::tolower(c));
  auto a = NormaliseRecoveryCode(shown);
  auto b = NormaliseRecoveryCode(typed);
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_TRUE(crypto::ConstantTimeEquals(a->view(), b->view()));
  EXPECT_FALSE(NormaliseRecoveryCode("ABCD").ok());
  EXPECT_FALSE(NormaliseRecoveryCode(shown + "A").ok());
  EXPECT_FALSE(NormaliseRecoveryCode(std::string(39, '1')).ok());
}

}  // namespace
}  // namespace sealpost::keys
