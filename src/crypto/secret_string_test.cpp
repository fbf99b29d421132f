#include "crypto/secret_string.h"

#include <gtest/gtest.h>

#include <string>

namespace sealpost::crypto {
namespace {

TEST(SecretStringTest, TakeFromWipesTheSource) {
  std::string text = "correct horse battery staple, long enough to leave SSO";
  const char* buffer = text.data();
  const size_t size = text.size();
  SecretString secret = SecretString::TakeFrom(text);
  EXPECT_EQ(secret.view(), "correct horse battery staple, long enough to leave SSO");
  EXPECT_TRUE(text.empty());
  // The string keeps its buffer after clear(): it now holds only zeros.
  ASSERT_EQ(text.data(), buffer);
  for (size_t i = 0; i < size; ++i) EXPECT_EQ(buffer[i], '\0') << i;
}

TEST(SecretStringTest, MovesAndCompares) {
  SecretString a = SecretString::CopyOf("muc-123456");
  SecretString b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(b.view(), "muc-123456");
  EXPECT_TRUE(ConstantTimeEquals(b, SecretString::CopyOf("muc-123456")));
  EXPECT_FALSE(ConstantTimeEquals(b, SecretString::CopyOf("muc-123457")));
  EXPECT_TRUE(SecretString().empty());
  EXPECT_EQ(SecretString().view(), "");
}

}  // namespace
}  // namespace sealpost::crypto
