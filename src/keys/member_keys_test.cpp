#include "keys/member_keys.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::keys {
namespace {

const UserId kAlice = UserId::FromTrusted(std::string(32, 'a'));
const UserId kBob = UserId::FromTrusted(std::string(32, 'b'));

TEST(MemberKeysTest, BundleRoundTripKeepsKeys) {
  const auto umk = crypto::AeadKey::Generate();
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
  const auto umk = crypto::AeadKey::Generate();
  const Bytes wrapped = WrapBundle(umk, MemberKeyBundle::Generate(), kAlice);
  EXPECT_THAT(UnwrapBundle(umk, wrapped, kBob).status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapBundle(crypto::AeadKey::Generate(), wrapped, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  Bytes flipped = wrapped;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_THAT(UnwrapBundle(umk, flipped, kAlice).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MemberKeysTest, UmkSlotsAreNotInterchangeable) {
  const auto kek = crypto::AeadKey::Generate();
  const auto umk = crypto::AeadKey::Generate();
  const Bytes wrapped = WrapUmk(kek, umk, UmkSlot::kPassword, kAlice);
  auto back = UnwrapUmk(kek, wrapped, UmkSlot::kPassword, kAlice);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(crypto::ConstantTimeEquals(back->ExposeSecret().view(), umk.ExposeSecret().view()));
  EXPECT_THAT(UnwrapUmk(kek, wrapped, UmkSlot::kSession, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MemberKeysTest, HalvesMatchTheWholeBundle) {
  const auto umk = crypto::AeadKey::Generate();
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
  const auto umk = crypto::AeadKey::Generate();
  const MessageId m1 = MessageId::FromTrusted(std::string(32, '1'));
  const MessageId m2 = MessageId::FromTrusted(std::string(32, '2'));
  const Bytes data_key(32, 7);
  const Bytes wrapped = WrapOwnCopyKey(umk, data_key, m1, kAlice);
  auto back = UnwrapOwnCopyKey(umk, wrapped, m1, kAlice);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_TRUE(crypto::ConstantTimeEquals(back->view(), data_key));
  EXPECT_THAT(UnwrapOwnCopyKey(umk, wrapped, m2, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapOwnCopyKey(umk, wrapped, m1, kBob).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  Bytes flipped = wrapped;
  flipped.back() ^= 1;
  EXPECT_THAT(UnwrapOwnCopyKey(umk, flipped, m1, kAlice).status(),
              StatusIs(ErrorCode::kUnauthenticated));
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
