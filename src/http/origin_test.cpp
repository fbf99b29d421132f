#include "http/origin.h"

#include <gtest/gtest.h>

namespace sealpost::http {
namespace {

TEST(CanonicalOriginTest, LowerCaseWithoutDefaultPortOrPath) {
  EXPECT_EQ(CanonicalOrigin("HTTPS://Mail.Example.ORG:8443/login?x#y"),
            "https://mail.example.org:8443");
  EXPECT_EQ(CanonicalOrigin("https://mail.example.org:443"), "https://mail.example.org");
  EXPECT_EQ(CanonicalOrigin("http://mail.example.org:80/"), "http://mail.example.org");
  EXPECT_EQ(CanonicalOrigin("http://mail.example.org:443"), "http://mail.example.org:443");
  EXPECT_EQ(CanonicalOrigin("https://[::1]:08443"), "https://[::1]:8443");
  EXPECT_EQ(CanonicalOrigin("https://127.0.0.1"), "https://127.0.0.1");
  for (const char* bad :
       {"null", "", "https://", "ftp://x", "https://user@host", "https://h:x", "https://h:99999",
        "https://[::1", "https://a:b:c", "https:// x", "mail.example.org"}) {
    EXPECT_EQ(CanonicalOrigin(bad), "") << bad;
  }
}

Request Unsafe(std::string origin, std::string host = "mail.example.org:8443") {
  Request r;
  r.method = "POST";
  r.headers.emplace_back("Host", host);
  if (!origin.empty()) r.headers.emplace_back("Origin", origin);
  return r;
}

TEST(OriginAllowedTest, OwnOriginOrNoneOnly) {
  const std::string own = "https://mail.example.org:8443";
  EXPECT_TRUE(OriginAllowed(Unsafe(""), own));  // a non-browser client
  EXPECT_TRUE(OriginAllowed(Unsafe("https://mail.example.org:8443"), own));
  EXPECT_TRUE(OriginAllowed(Unsafe("https://MAIL.example.org:8443"), own));
  // The Host the request came to: https://localhost:8443 while the public URL is another name.
  EXPECT_TRUE(OriginAllowed(Unsafe("https://localhost:8443", "localhost:8443"), own));
  EXPECT_TRUE(OriginAllowed(Unsafe("https://localhost:8443", "localhost:8443"), ""));
  // Behind a proxy that rewrote Host: the public URL still matches.
  EXPECT_TRUE(OriginAllowed(Unsafe("https://mail.example.org:8443", "10.0.0.5:8443"), own));

  for (const char* other :
       {"https://evil.example", "https://mail.example.org", "http://mail.example.org:8443",
        "https://mail.example.org:8444", "null", "https://mail.example.org.evil:8443"}) {
    EXPECT_FALSE(OriginAllowed(Unsafe(other), own)) << other;
  }
  EXPECT_FALSE(OriginAllowed(Unsafe("https://evil.example", "evil.example/x"), ""));
  EXPECT_FALSE(OriginAllowed(Unsafe("https://localhost:8443", "localhost:8443@evil"), own));
  for (const char* method : {"PUT", "PATCH", "DELETE", "PROPFIND"}) {
    Request r = Unsafe("https://evil.example");
    r.method = method;
    EXPECT_FALSE(OriginAllowed(r, own)) << method;
  }
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    Request r = Unsafe("https://evil.example");
    r.method = method;
    EXPECT_TRUE(OriginAllowed(r, own)) << method;
  }
}

}  // namespace
}  // namespace sealpost::http
