#include "http/problem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sealpost::http {
namespace {

nlohmann::json Body(const Response& response) { return nlohmann::json::parse(response.body); }

TEST(ProblemTest, Rfc9457Shape) {
  const Response response = Problem(404, "not-found", "Not found", "No such message.");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.Header("content-type"), "application/problem+json");
  const nlohmann::json body = Body(response);
  EXPECT_EQ(body["type"], "https://sealpost.dev/problems/not-found");
  EXPECT_EQ(body["title"], "Not found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "No such message.");
  EXPECT_FALSE(Body(Problem(400, "x", "X")).contains("detail"));
}

TEST(ProblemTest, InvalidUtf8InDetailIsReplacedNotThrown) {
  const Response response = Problem(400, "x", "X", "bad \xff byte");
  EXPECT_TRUE(Body(response).contains("detail"));
}

TEST(ProblemTest, FromStatusMapping) {
  struct Case {
    Status status;
    int http;
    const char* slug;
  };
  const Case cases[] = {
      {InvalidArgument("m"), 400, "invalid-argument"},
      {Unauthenticated("m"), 401, "unauthenticated"},
      {PermissionDenied("m"), 403, "forbidden"},
      {NotFound("m"), 404, "not-found"},
      {Conflict("m"), 409, "conflict"},
      {ResourceExhausted("m"), 413, "payload-too-large"},
      {Unavailable("m"), 503, "unavailable"},
      {Corruption("m"), 500, "integrity-failure"},
      {Internal("m"), 500, "internal"},
  };
  for (const Case& c : cases) {
    const Response response = ProblemFromStatus(c.status);
    EXPECT_EQ(response.status, c.http) << c.status.ToString();
    EXPECT_EQ(Body(response)["type"], std::string(kProblemTypeBase) + c.slug);
  }
}

TEST(ProblemTest, OnlyClientErrorsShowTheMessage) {
  EXPECT_EQ(Body(ProblemFromStatus(Conflict("address already enrolled")))["detail"],
            "address already enrolled");
  for (const Status& s : {Internal("db at /var/lib/secret failed"),
                          Corruption("blob 42 tag mismatch"), Unavailable("pg down at 10.0.0.5")}) {
    const Response response = ProblemFromStatus(s);
    EXPECT_THAT(response.body, ::testing::Not(::testing::HasSubstr(s.message()))) << s.ToString();
  }
}

TEST(ProblemTest, PayloadTooLargeNamesTheLimit) {
  const Response response = PayloadTooLarge(1048576);
  EXPECT_EQ(response.status, 413);
  EXPECT_THAT(Body(response)["detail"].get<std::string>(), ::testing::HasSubstr("1048576 bytes"));
}

TEST(ProblemTest, MethodNotAllowedHasAllow) {
  const Response response = MethodNotAllowedProblem("GET, HEAD");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(Body(response)["type"], "https://sealpost.dev/problems/method-not-allowed");
}

TEST(ResponseTest, SetHeaderReplacesAddHeaderAppends) {
  Response response = Response::Json(201, "{}");
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  response.SetHeader("content-type", "text/plain");
  EXPECT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.Header("Content-Type"), "text/plain");
  response.AddHeader("Set-Cookie", "a=1");
  response.AddHeader("Set-Cookie", "b=2");
  EXPECT_EQ(response.headers.size(), 3u);
}

}  // namespace
}  // namespace sealpost::http
