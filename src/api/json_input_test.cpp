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
  EXPECT_EQ(StringListField(*v, "to"), std::vector<std::string>{"x"});
  EXPECT_TRUE(StringListField(*v, "missing").empty());
}

TEST(JsonInputTest, RefusesBadInput) {
  const std::initializer_list<FieldSpec> spec = {{"email", JsonType::kString}};
  for (const char* bad : {"", "{", "[]", "\"x\"", R"({"email":1})", R"({"email":"a","x":1})", "{}",
                          R"({"email":"a"} trailing)", "{\"email\":\"\xff\"}"}) {
    EXPECT_THAT(ParseJsonObject(bad, spec).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

// nlohmann keeps the last of two equal keys: {"to":["a"],"to":["b"]} would send to b alone.
TEST(JsonInputTest, RefusesAKeyNamedTwiceInOneObject) {
  const std::initializer_list<FieldSpec> spec = {{"to", JsonType::kStringArray},
                                                 {"attachments", JsonType::kArray, false}};
  auto twice = ParseJsonObject(R"({"to":["a@x.org"],"to":["b@x.org"]})", spec);
  EXPECT_THAT(twice.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_NE(twice.status().client_text().find("\"to\" appears more than once"),
            std::string_view::npos);
  // Also inside a nested object, and however the key is escaped.
  EXPECT_THAT(
      ParseJsonObject(R"({"to":[],"attachments":[{"name":"a","name":"b"}]})", spec).status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseJsonObject(R"({"to":["a@x.org"],"\u0074o":["b@x.org"]})", spec).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // The same key in two sibling objects is fine.
  EXPECT_THAT(
      ParseJsonObject(R"({"to":[],"attachments":[{"name":"a"},{"name":"b"}]})", spec).status(),
      IsOk());
}

TEST(JsonInputTest, RefusesDeepNesting) {
  std::string deep(100000, '[');
  EXPECT_THAT(ParseJsonObject(deep, {}).status(), StatusIs(ErrorCode::kInvalidArgument));
  // Brackets inside strings do not count.
  EXPECT_THAT(
      ParseJsonObject(R"({"email":"[[[[[[[[[[[[[[[["})", {{"email", JsonType::kString}}).status(),
      IsOk());
}

// A body can carry a password: its strings live in wiped memory, and a secret taken out leaves
// nothing behind in the parsed value.
static_assert(std::is_same_v<RequestJson::string_t, crypto::WipedString>);

TEST(JsonInputTest, SecretFieldTakesTheTextOutOfTheParsedBody) {
  auto body = ParseJsonObject(R"({"email":"a@example.org","password":"correct horse battery"})",
                              {{"email", JsonType::kString}, {"password", JsonType::kString}});
  ASSERT_TRUE(body.ok());
  const crypto::SecretString password = SecretField(*body, "password");
  EXPECT_EQ(password.view(), "correct horse battery");
  EXPECT_EQ(body->at("password").get_ref<const crypto::WipedString&>(), "");
  EXPECT_EQ(StringField(*body, "email"), "a@example.org");
  EXPECT_TRUE(SecretField(*body, "missing").empty());
}

TEST(JsonInputTest, SecretValueTakesAShortTextOutOfItsObject) {
  auto body =
      ParseJsonObject(R"({"mucs":{"g@example.net":"K7QM2"}})", {{"mucs", JsonType::kObject}});
  ASSERT_TRUE(body.ok());
  RequestJson& muc = body->at("mucs").at("g@example.net");
  const crypto::SecretString taken = SecretValue(muc);
  EXPECT_EQ(taken.view(), "K7QM2");
  EXPECT_TRUE(muc.get_ref<const crypto::WipedString&>().empty());
}

}  // namespace
}  // namespace sealpost::api
