#include "http/problem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sealpost::http {
namespace {

nlohmann::json Body(const Response& response) { return nlohmann::json::parse(response.body); }

TEST(ProblemTest, Rfc9457Shape) {
  const Response response = ProblemFor(Reason::kPickupNotFound, "No such message.");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.Header("content-type"), "application/problem+json");
  const nlohmann::json body = Body(response);
  EXPECT_EQ(body["type"], "https://sealpost.dev/problems/pickup-not-found");
  EXPECT_EQ(body["title"], "No such message");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "No such message.");
  // Without a detail of its own, a problem says the catalogue's sentence.
  EXPECT_EQ(Body(ProblemFor(Reason::kMucLocked))["detail"],
            DescribeForClient(ErrorCode::kInternal, Reason::kMucLocked).text);
}

TEST(ProblemTest, InvalidUtf8InDetailIsReplacedNotThrown) {
  const Response response = ProblemFromStatus(InvalidArgument("bad \xff byte").ShownToClient());
  EXPECT_TRUE(Body(response).contains("detail"));
}

TEST(ProblemTest, EachCodeHasItsAnswer) {
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
      {TooLarge("m"), 413, "payload-too-large"},
      {RateLimited("m"), 429, "rate-limited"},
      {StorageFull("m"), 507, "storage-full"},
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

TEST(ProblemTest, AReasonPicksTypeAndStatus) {
  const Response locked = ProblemFromStatus(PermissionDenied("m").As(Reason::kMucLocked));
  EXPECT_EQ(locked.status, 423);
  EXPECT_EQ(Body(locked)["type"], "https://sealpost.dev/problems/muc-locked");
  const Response wrong = ProblemFromStatus(Unauthenticated("m").As(Reason::kInvalidCredentials));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Body(wrong)["type"], "https://sealpost.dev/problems/invalid-credentials");
}

TEST(ProblemTest, EveryReasonHasAnHttpStatusOfItsOwn) {
  for (const Reason reason : AllReasons()) {
    const int status = HttpStatusOf(ErrorCode::kInternal, reason);
    EXPECT_TRUE(status >= 400 && status < 600) << DescribeForClient(ErrorCode::kOk, reason).slug;
    EXPECT_NE(status, 500) << DescribeForClient(ErrorCode::kOk, reason).slug;
  }
}

// The log's message reaches the client only where its maker wrote it for the client.
TEST(ProblemTest, OnlyMessagesMarkedForTheClientAreShown) {
  EXPECT_EQ(
      Body(ProblemFromStatus(
          Conflict("address already enrolled").ShownToClient(Reason::kAddressTaken)))["detail"],
      "address already enrolled");
  for (const Status& s :
       {Internal("db at /var/lib/secret failed"), Corruption("blob 42 tag mismatch"),
        Unavailable("pg down at 10.0.0.5"), StorageFull("write /srv/blobs/ab/cd: No space left"),
        Conflict("postgres: constraint violated: users_email_key"),
        InvalidArgument("postgres: 22P02 invalid input syntax"),
        TooLarge("file too large: /etc/sealpost/key"),
        // Marked, but a 5xx: still not shown.
        Internal("db at /var/lib/secret failed").ShownToClient()}) {
    const Response response = ProblemFromStatus(s);
    EXPECT_THAT(response.body, ::testing::Not(::testing::HasSubstr(s.message()))) << s.ToString();
    EXPECT_FALSE(Body(response)["detail"].get<std::string>().empty());
  }
}

TEST(ProblemTest, RateLimitsSayWhenToRetry) {
  const Response response =
      ProblemFromStatus(RateLimited("m").As(Reason::kTooManyAttempts).RetryAfter(900));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.Header("Retry-After"), "900");
  EXPECT_EQ(Body(response)["type"], "https://sealpost.dev/problems/too-many-attempts");
  EXPECT_FALSE(ProblemFromStatus(RateLimited("m")).Header("Retry-After").has_value());
}

TEST(ProblemTest, ExtensionMembersJoinButCannotReplaceTheStandardOnes) {
  const Response response =
      ProblemFromStatus(PermissionDenied("m").As(Reason::kMucWrong),
                        nlohmann::json{{"remaining_tries", 3}, {"status", 200}, {"type", "x"}});
  const nlohmann::json body = Body(response);
  EXPECT_EQ(body["remaining_tries"], 3);
  EXPECT_EQ(body["status"], 403);
  EXPECT_EQ(body["type"], "https://sealpost.dev/problems/muc-wrong");
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
