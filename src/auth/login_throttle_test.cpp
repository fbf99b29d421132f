#include "auth/login_throttle.h"

#include <gtest/gtest.h>

namespace sealpost::auth {
namespace {

TEST(ThrottledClientTest, Ipv6CountsAsItsSlash64AndMappedIpv4AsIpv4) {
  EXPECT_EQ(ThrottledClient("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(ThrottledClient("2001:db8::1"), "2001:0db8:0000:0000::/64");
  EXPECT_EQ(ThrottledClient("2001:db8:0:0:ffff:1:2:3"), ThrottledClient("2001:db8::1"));
  EXPECT_NE(ThrottledClient("2001:db8:0:1::1"), ThrottledClient("2001:db8::1"));
  EXPECT_EQ(ThrottledClient("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(ThrottledClient("::1"), "0000:0000:0000:0000::/64");
  EXPECT_EQ(ThrottledClient("?"), "?");
}

}  // namespace
}  // namespace sealpost::auth
