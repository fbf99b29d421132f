#include "keys/pickup_keys.h"

#include <gtest/gtest.h>

#include "crypto/ad_labels.h"
#include "crypto/hash.h"
#include "keys/data_key.h"
#include "testing/status_matchers.h"

namespace sealpost::keys {
namespace {

constexpr crypto::PasswordHashParams kParams = crypto::kMinimumPasswordHashParams;

// The MUC slot opens only with its MUC, for its address, with the stored salt and parameters.
TEST(PickupKeysTest, TheAddressKeyOpensOnlyWithItsMucAndAddress) {
  const crypto::BoxKeyPair pair = crypto::BoxKeyPair::Generate();
  auto wrapped = WrapAddressKeyUnderMuc(pair, "river-stone-42", "g@x.org", kParams);
  ASSERT_THAT(wrapped.status(), IsOk());
  EXPECT_EQ(wrapped->public_key.size(), 32u);
  EXPECT_EQ(wrapped->wrapped_secret.size(), 32u + crypto::kAeadOverhead);
  EXPECT_EQ(wrapped->salt.size(), crypto::kPasswordSaltBytes);
  auto opened = UnwrapAddressKeyWithMuc("river-stone-42", wrapped->salt, wrapped->params,
                                        wrapped->wrapped_secret, "g@x.org");
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_TRUE(opened->public_key() == pair.public_key());
  EXPECT_THAT(UnwrapAddressKeyWithMuc("river-stone-43", wrapped->salt, wrapped->params,
                                      wrapped->wrapped_secret, "g@x.org")
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(UnwrapAddressKeyWithMuc("river-stone-42", wrapped->salt, wrapped->params,
                                      wrapped->wrapped_secret, "h@x.org")
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));
  Bytes other_salt = wrapped->salt;
  other_salt[0] ^= 1;
  EXPECT_FALSE(UnwrapAddressKeyWithMuc("river-stone-42", other_salt, wrapped->params,
                                       wrapped->wrapped_secret, "g@x.org")
                   .ok());
}

// The share key needs the link key and the share; it is keyed BLAKE2b under the link key.
TEST(PickupKeysTest, TheDataKeyNeedsBothTheLinkKeyAndTheShare) {
  const crypto::Kek link_key = crypto::Kek::Generate();
  const crypto::SecretBytes share = GeneratePickupShare();
  const crypto::DataKey data_key = crypto::DataKey::Generate();
  const Bytes wrapped = WrapDataKey(PickupShareKey(link_key, share), data_key, "ad");
  auto back = UnwrapDataKey(PickupShareKey(link_key, share), wrapped, "ad");
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(HexEncode(back->ExposeSecret().view()), HexEncode(data_key.ExposeSecret().view()));
  EXPECT_FALSE(UnwrapDataKey(link_key, wrapped, "ad").ok());  // the link's key alone
  EXPECT_FALSE(UnwrapDataKey(PickupShareKey(crypto::Kek::Generate(), share), wrapped, "ad").ok());
  EXPECT_FALSE(UnwrapDataKey(PickupShareKey(link_key, GeneratePickupShare()), wrapped, "ad").ok());
  const auto expected =
      crypto::CombineSecrets(link_key.ExposeSecret(), crypto::kAdPickupShareKey, share);
  EXPECT_EQ(HexEncode(PickupShareKey(link_key, share).ExposeSecret().view()),
            HexEncode(expected->view()));
}

TEST(PickupKeysTest, SharesOpenOnlyForTheirHolderAndOnlyAt32Bytes) {
  const crypto::BoxKeyPair address = crypto::BoxKeyPair::Generate();
  const crypto::SecretBytes share = GeneratePickupShare();
  const Bytes sealed = SealPickupShare(address.public_key(), share);
  EXPECT_EQ(sealed.size(), 32u + crypto::kSealOverhead);
  auto opened = OpenPickupShare(address, sealed);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(HexEncode(opened->view()), HexEncode(share.view()));
  EXPECT_FALSE(OpenPickupShare(crypto::BoxKeyPair::Generate(), sealed).ok());
  const Bytes short_share = crypto::SealTo(address.public_key(), AsBytes("sixteen bytes!!!"));
  EXPECT_THAT(OpenPickupShare(address, short_share).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  // The address key under a token key is bound to its associated data.
  const crypto::Kek token_key = crypto::Kek::Generate();
  const Bytes under_token = WrapAddressKey(token_key, address, "lookup-1");
  EXPECT_TRUE(UnwrapAddressKey(token_key, under_token, "lookup-1").ok());
  EXPECT_FALSE(UnwrapAddressKey(token_key, under_token, "lookup-2").ok());
}

}  // namespace
}  // namespace sealpost::keys
