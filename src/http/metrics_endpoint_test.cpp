#include "http/metrics_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sealpost::http {
namespace {

using ::testing::HasSubstr;

Request Scrape(std::string remote, std::optional<std::string> authorization = std::nullopt) {
  Request r;
  r.method = "GET";
  r.path = r.target = "/metrics";
  r.remote_address = std::move(remote);
  if (authorization) r.headers.emplace_back("Authorization", crypto::WipedString(*authorization));
  return r;
}

TEST(MetricsEndpointTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("::2"));
  EXPECT_FALSE(IsLoopbackAddress("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1x"));
  EXPECT_FALSE(IsLoopbackAddress("1127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress(""));
}

TEST(MetricsEndpointTest, LoopbackOnlyByDefault) {
  telemetry::Registry registry;
  registry.AddCounter("sp_x_total", "X.").With().Increment(5);
  const Handler h = MakeMetricsHandler({}, registry);
  const Response ok = h(Scrape("127.0.0.1"), {});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(ok.body, HasSubstr("sp_x_total 5\n"));
  const Response refused = h(Scrape("192.0.2.1"), {});
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, ::testing::Not(HasSubstr("sp_x_total")));
  // No token configured: a bearer header opens nothing.
  EXPECT_EQ(h(Scrape("192.0.2.1", "Bearer "), {}).status, 403);
}

TEST(MetricsEndpointTest, BearerToken) {
  telemetry::Registry registry;
  MetricsAccess access;
  access.allow_loopback = false;
  access.bearer_token = crypto::SecretString::CopyOf("0123456789abcdef0123456789abcdef");
  const Handler h = MakeMetricsHandler(std::move(access), registry);
  EXPECT_EQ(h(Scrape("192.0.2.1", "Bearer 0123456789abcdef0123456789abcdef"), {}).status, 200);
  EXPECT_EQ(h(Scrape("192.0.2.1", "bearer 0123456789abcdef0123456789abcdef"), {}).status, 200);
  EXPECT_EQ(h(Scrape("192.0.2.1", "Bearer 0123456789abcdef0123456789abcdeF"), {}).status, 403);
  EXPECT_EQ(h(Scrape("192.0.2.1", "Bearer 0123456789abcdef0123456789abcde"), {}).status, 403);
  EXPECT_EQ(h(Scrape("192.0.2.1", "Basic 0123456789abcdef0123456789abcdef"), {}).status, 403);
  EXPECT_EQ(h(Scrape("192.0.2.1"), {}).status, 403);
  // Loopback switched off: a local scrape needs the token too.
  EXPECT_EQ(h(Scrape("127.0.0.1"), {}).status, 403);
}

}  // namespace
}  // namespace sealpost::http
