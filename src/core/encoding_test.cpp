#include "core/encoding.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost {
namespace {

// RFC 4648 §10 test vectors.
TEST(EncodingTest, Rfc4648Base64) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_THAT(decoded.status(), IsOk());
    EXPECT_EQ(AsChars(*decoded), plain);
  }
}

TEST(EncodingTest, Rfc4648Base32) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "MY"},
                                                         {"fo", "MZXQ"},
                                                         {"foo", "MZXW6"},
                                                         {"foob", "MZXW6YQ"},
                                                         {"fooba", "MZXW6YTB"},
                                                         {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) EXPECT_EQ(Base32Encode(AsBytes(plain)), encoded);
}

TEST(EncodingTest, Rfc4648Hex) {
  EXPECT_EQ(HexEncode(AsBytes("foobar")), "666f6f626172");
  auto d = HexDecode("666F6f626172");
  ASSERT_THAT(d.status(), IsOk());
  EXPECT_EQ(AsChars(*d), "foobar");
}

TEST(EncodingTest, RejectsMalformed) {
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
  EXPECT_FALSE(Base64Decode("Zg=").ok());
  EXPECT_FALSE(Base64Decode("Z!==").ok());
  EXPECT_FALSE(Base64Decode("Zh==").ok());  // non-canonical trailing bits
  EXPECT_FALSE(Base64UrlDecode("Zm9v+").ok());
}

TEST(EncodingTest, Base64UrlRoundTrip) {
  const Bytes data = {0xfb, 0xff, 0x00, 0x10, 0x83};
  const std::string enc = Base64UrlEncode(data);
  EXPECT_EQ(enc, "-_8AEIM");
  auto dec = Base64UrlDecode(enc);
  ASSERT_THAT(dec.status(), IsOk());
  EXPECT_EQ(*dec, data);
}

}  // namespace
}  // namespace sealpost
