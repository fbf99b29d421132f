#include "http/request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::http {
namespace {

TEST(PercentDecodePathTest, DecodesEscapes) {
  EXPECT_EQ(*PercentDecodePath("/"), "/");
  EXPECT_EQ(*PercentDecodePath("/api/v1/messages"), "/api/v1/messages");
  EXPECT_EQ(*PercentDecodePath("/a%20b/%C3%A9t%c3%a9"), "/a b/\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(*PercentDecodePath("/a+b"), "/a+b");  // '+' is literal in paths
  EXPECT_EQ(*PercentDecodePath("/file.tar.gz"), "/file.tar.gz");
  EXPECT_EQ(*PercentDecodePath("/...x/..y"), "/...x/..y");  // not dot segments
}

TEST(PercentDecodePathTest, RefusesMalformedEscapes) {
  for (const char* bad : {"/%", "/%2", "/%zz", "/a%g1", "/%%41"}) {
    EXPECT_THAT(PercentDecodePath(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

TEST(PercentDecodePathTest, RefusesTraversalAndDangerousCharacters) {
  for (const char* bad : {
           "",          // empty
           "relative",  // no leading slash
           "/..",       // dot segments, plain and encoded
           "/../etc/passwd",
           "/a/../b",
           "/a/..",
           "/a/./b",
           "/.",
           "/%2e%2e/etc/passwd",
           "/%2E%2E/x",
           "/.%2e/x",
           "/a/%2e",
           "/a%2fb",  // encoded slash
           "/a%2F..%2Fb",
           "/a\\b",  // backslash, plain and encoded
           "/a%5cb",
           "/a%5C..%5Cb",
           "/a%00b",                // NUL
           "/a%0d%0aSet-Cookie:x",  // control characters
           "/a%09b",
           "/a%7fb",
           "/a%ffb",           // invalid UTF-8
           "/%c0%ae%c0%ae/x",  // overlong '.'
       }) {
    EXPECT_THAT(PercentDecodePath(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(PercentDecodePath(std::string_view("/a\0b", 4)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(FormDecodeTest, PlusAndEscapes) {
  EXPECT_EQ(*FormDecode("a+b%2Bc%26"), "a b+c&");
  EXPECT_THAT(FormDecode("%0").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(FormDecode("%00").status(), StatusIs(ErrorCode::kInvalidArgument));
}

Request MakeRequest() {
  Request request;
  request.method = "GET";
  request.query = "a=1&name=J%C3%BCrg+M%26M&flag&empty=&bad=%zz&a=2";
  request.headers = {{"Content-Type", "application/json"},
                     {"Cookie", "theme=dark; sp_session=\"abc123\"; x=1=2"},
                     {"cookie", "late=yes"}};
  return request;
}

TEST(RequestTest, HeaderIsCaseInsensitive) {
  const Request request = MakeRequest();
  EXPECT_EQ(request.Header("content-type"), "application/json");
  EXPECT_EQ(request.Header("CONTENT-TYPE"), "application/json");
  EXPECT_FALSE(request.Header("Authorization").has_value());
}

TEST(RequestTest, QueryParam) {
  const Request request = MakeRequest();
  EXPECT_EQ(request.QueryParam("a"), "1");  // the first one
  EXPECT_EQ(request.QueryParam("name"), "J\xC3\xBCrg M&M");
  EXPECT_EQ(request.QueryParam("flag"), "");
  EXPECT_EQ(request.QueryParam("empty"), "");
  EXPECT_FALSE(request.QueryParam("bad").has_value());
  EXPECT_FALSE(request.QueryParam("missing").has_value());
}

TEST(RequestTest, Cookie) {
  const Request request = MakeRequest();
  EXPECT_EQ(request.Cookie("theme"), "dark");
  EXPECT_EQ(request.Cookie("sp_session"), "abc123");
  EXPECT_EQ(request.Cookie("x"), "1=2");
  EXPECT_EQ(request.Cookie("late"), "yes");
  EXPECT_FALSE(request.Cookie("them").has_value());
}

}  // namespace
}  // namespace sealpost::http
