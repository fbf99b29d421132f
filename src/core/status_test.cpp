#include "core/status.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/status_matchers.h"

namespace sealpost {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  SP_ASSIGN_OR_RETURN(const int h, Half(x));
  SP_ASSIGN_OR_RETURN(const int q, Half(h));
  return q;
}

TEST(StatusTest, ResultPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(Quarter(6).status().ToString(), "InvalidArgument: odd");
}

TEST(StatusTest, OkStatus) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().ToString(), "OK");
}

// The client's face travels with the status but leaves the log's message alone.
TEST(StatusTest, ReasonAndClientTextAreSeparateFromTheMessage) {
  const Status plain = Conflict("row 42 of users");
  EXPECT_EQ(plain.reason(), Reason::kNone);
  EXPECT_TRUE(plain.client_text().empty());
  const Status named = Conflict("row 42 of users").As(Reason::kAddressTaken);
  EXPECT_EQ(named.reason(), Reason::kAddressTaken);
  EXPECT_TRUE(named.client_text().empty());
  EXPECT_EQ(named.message(), "row 42 of users");
  const Status shown =
      InvalidArgument("subject is too long").ShownToClient(Reason::kInvalidSubject);
  EXPECT_EQ(shown.client_text(), "subject is too long");
  EXPECT_EQ(shown.reason(), Reason::kInvalidSubject);
  EXPECT_EQ(RateLimited("m").RetryAfter(60).retry_after_seconds(), 60u);
  // Copies keep the face.
  const Status copy = shown;
  EXPECT_EQ(copy.client_text(), "subject is too long");
}

TEST(ReasonTest, EveryCauseHasItsOwnSlugAndWords) {
  std::set<std::string_view> slugs;
  for (const Reason r : AllReasons()) {
    const ClientFace& face = DescribeForClient(ErrorCode::kInternal, r);
    EXPECT_FALSE(face.slug.empty());
    EXPECT_FALSE(face.title.empty()) << face.slug;
    EXPECT_FALSE(face.text.empty()) << face.slug;
    EXPECT_TRUE(slugs.insert(face.slug).second) << "duplicate slug " << face.slug;
  }
  for (const ErrorCode c : AllErrorCodes()) {
    const ClientFace& face = DescribeForClient(c, Reason::kNone);
    EXPECT_FALSE(face.text.empty()) << face.slug;
    // Internal and an unknown code share "internal"; every other code has its own.
    if (c != ErrorCode::kInternal) {
      EXPECT_TRUE(slugs.insert(face.slug).second) << "duplicate slug " << face.slug;
    }
  }
  EXPECT_EQ(DescribeForClient(ErrorCode::kInternal, Reason::kNone).slug, "internal");
}

}  // namespace
}  // namespace sealpost
