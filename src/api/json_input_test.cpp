#include "api/json_input.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::api {
namespace {

TEST(JsonInputTest, AcceptsKnownFields) {
  auto v = ParseJsonObject(R"({"email":"a@b.org","to":["x"]})",
                           {{"email", JsonType::kString}, {"to", JsonType::kStringArray, false}});
  ASSERT_THAT(v.status(), IsOk());
  EXPECT_EQ(StringField(*v, "email"), "a@b.org");
  EXPECT_EQ(StringField(*v, "missing"), "");
}

TEST(JsonInputTest, RefusesBadInput) {
  const std::initializer_list<FieldSpec> spec = {{"email", JsonType::kString}};
  for (const char* bad : {"", "{", "[]", "\"x\"", R"({"email":1})", R"({"email":"a","x":1})", "{}",
                          R"({"email":"a"} trailing)", "{\"email\":\"\xff\"}"}) {
    EXPECT_THAT(ParseJsonObject(bad, spec).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

TEST(JsonInputTest, RefusesDeepNesting) {
  std::string deep(100000, '[');
  EXPECT_THAT(ParseJsonObject(deep, {}).status(), StatusIs(ErrorCode::kInvalidArgument));
  // Brackets inside strings do not count.
  EXPECT_THAT(
      ParseJsonObject(R"({"email":"[[[[[[[[[[[[[[[["})", {{"email", JsonType::kString}}).status(),
      IsOk());
}

}  // namespace
}  // namespace sealpost::api
