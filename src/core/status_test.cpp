#include "core/status.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sealpost
