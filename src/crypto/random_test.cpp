#include "crypto/random.h"

#include <gtest/gtest.h>

namespace sealpost::crypto {
namespace {

TEST(RandomTest, SizesAreExact) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(1).size(), 1u);
  EXPECT_EQ(RandomBytes(1000).size(), 1000u);
  EXPECT_TRUE(RandomSecret(0).empty());
  EXPECT_EQ(RandomSecret(32).size(), 32u);
}

TEST(RandomTest, DrawsDiffer) {
  // 2^-256 chance of a false failure.
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
  const SecretBytes a = RandomSecret(32);
  const SecretBytes b = RandomSecret(32);
  EXPECT_FALSE(ConstantTimeEquals(a.view(), b.view()));
  EXPECT_FALSE(ConstantTimeEquals(a.view(), Bytes(32, 0)));
}

}  // namespace
}  // namespace sealpost::crypto
