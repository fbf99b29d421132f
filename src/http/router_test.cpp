#include "http/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/problem.h"

namespace sealpost::http {
namespace {

using ::testing::HasSubstr;
using Kind = Router::Match::Kind;

Handler Reply(std::string text) {
  return [text](const Request&, const PathParams& params) {
    std::string body = text;
    for (const auto& [name, value] : params) body += " " + name + "=" + value;
    return Response::Text(200, body);
  };
}

Router MakeRouter() {
  Router router;
  router.Add("GET", "/api/v1/messages", Reply("list"));
  router.Add("POST", "/api/v1/messages", Reply("create"), {.max_body_bytes = 4096});
  router.Add("GET", "/api/v1/messages/{id}", Reply("get"));
  router.Add("DELETE", "/api/v1/messages/{id}", Reply("delete"));
  router.Add("GET", "/api/v1/messages/search", Reply("search"));
  router.Add("GET", "/api/v1/messages/{id}/attachments/{index}", Reply("attachment"));
  router.AddUpload("PUT", "/api/v1/uploads/{id}",
                   [](const Request&, const PathParams&) -> Result<std::unique_ptr<UploadSink>> {
                     return Unavailable("test");
                   },
                   {.max_body_bytes = 1 << 30});
  return router;
}

Request Get(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

TEST(RouterTest, MatchesLiteralRoutes) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Handle(Get("GET", "/api/v1/messages")).body, "list");
  EXPECT_EQ(router.Handle(Get("POST", "/api/v1/messages")).body, "create");
}

TEST(RouterTest, ExtractsParameters) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Handle(Get("GET", "/api/v1/messages/m-42")).body, "get id=m-42");
  EXPECT_EQ(router.Handle(Get("GET", "/api/v1/messages/m 42/attachments/3")).body,
            "attachment id=m 42 index=3");
  const Router::Match match = router.Find("GET", "/api/v1/messages/abc/attachments/0");
  ASSERT_EQ(match.kind, Kind::kHandler);
  EXPECT_EQ(match.params.at("id"), "abc");
  EXPECT_EQ(match.params.at("index"), "0");
}

TEST(RouterTest, LiteralBeatsParameter) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Handle(Get("GET", "/api/v1/messages/search")).body, "search");
  // DELETE has only the parameter route, which still fits.
  EXPECT_EQ(router.Handle(Get("DELETE", "/api/v1/messages/search")).body, "delete id=search");
}

TEST(RouterTest, ParametersDoNotMatchEmptyOrSeveralSegments) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Find("GET", "/api/v1/messages/").kind, Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/api/v1/messages/a/b").kind, Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/api/v1/messages/a/attachments/").kind, Kind::kNotFound);
}

TEST(RouterTest, UnknownPathIs404ProblemJson) {
  const Router router = MakeRouter();
  const Response response = router.Handle(Get("GET", "/api/v1/nothing"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.Header("Content-Type"), "application/problem+json");
  EXPECT_THAT(response.body, HasSubstr("https://sealpost.dev/problems/unknown-route"));
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  const Router router = MakeRouter();
  const Response response = router.Handle(Get("PATCH", "/api/v1/messages/7"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow"), "DELETE, GET, HEAD");
  EXPECT_THAT(response.body, HasSubstr("method-not-allowed"));
  EXPECT_EQ(router.Find("DELETE", "/api/v1/messages").allow, "GET, HEAD, POST");
}

TEST(RouterTest, MethodsAreCaseSensitive) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Find("get", "/api/v1/messages").kind, Kind::kMethodNotAllowed);
}

TEST(RouterTest, HeadUsesGetRoutes) {
  const Router router = MakeRouter();
  const Router::Match match = router.Find("HEAD", "/api/v1/messages/9");
  ASSERT_EQ(match.kind, Kind::kHandler);
  EXPECT_EQ(match.params.at("id"), "9");
}

TEST(RouterTest, RouteOptionsAndUploads) {
  const Router router = MakeRouter();
  const Router::Match post = router.Find("POST", "/api/v1/messages");
  EXPECT_EQ(post.options.max_body_bytes, 4096u);
  EXPECT_FALSE(post.options.streaming_upload);
  EXPECT_EQ(router.Find("GET", "/api/v1/messages").options.max_body_bytes, 1u << 20);
  const Router::Match upload = router.Find("PUT", "/api/v1/uploads/u1");
  ASSERT_EQ(upload.kind, Kind::kUpload);
  EXPECT_TRUE(upload.options.streaming_upload);
  EXPECT_NE(upload.begin, nullptr);
  EXPECT_EQ(upload.params.at("id"), "u1");
  EXPECT_EQ(router.Handle(Get("PUT", "/api/v1/uploads/u1")).status, 500);
}

TEST(RouterTest, FallbackForGetOfUnmatchedPaths) {
  Router router = MakeRouter();
  router.SetFallback(Reply("static"));
  EXPECT_EQ(router.Handle(Get("GET", "/inbox/7")).body, "static");
  EXPECT_EQ(router.Handle(Get("HEAD", "/")).body, "static");
  EXPECT_EQ(router.Handle(Get("POST", "/inbox/7")).status, 404);
  // Unknown API paths stay 404; known paths with a wrong method stay 405.
  EXPECT_EQ(router.Handle(Get("GET", "/api/v1/unknown")).status, 404);
  EXPECT_EQ(router.Handle(Get("PUT", "/api/v1/messages")).status, 405);
}

TEST(RouterDeathTest, BadPatternsAbort) {
  EXPECT_DEATH(Router().Add("GET", "no-slash", Reply("x")), "must start with");
  EXPECT_DEATH(Router().Add("GET", "/a/{", Reply("x")), "malformed parameter");
  EXPECT_DEATH(Router().Add("GET", "/a/{x}/{x}", Reply("x")), "duplicate parameter");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a/{x}", Reply("x"));
        router.Add("GET", "/a/{y}", Reply("y"));
      },
      "duplicate route");
}

}  // namespace
}  // namespace sealpost::http
