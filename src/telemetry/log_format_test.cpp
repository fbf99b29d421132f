#include "telemetry/log_format.h"

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "telemetry/request_context.h"

namespace sealpost::telemetry {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(LogFormatTest, JsonLineHasTheFieldsAndOneLine) {
  const std::string line =
      FormatJsonLogLine("info", "sealpost", "say \"hi\"\nnext", "abc", 1764939885123);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // the message's newline is escaped
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2025-12-05T13:04:45.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["logger"], "sealpost");
  EXPECT_EQ(j["message"], "say \"hi\"\nnext");
  EXPECT_EQ(j["request_id"], "abc");
}

TEST(LogFormatTest, JsonLineWithoutRequestOmitsTheIdAndSurvivesInvalidUtf8) {
  const std::string line = FormatJsonLogLine("warning", "x", "bad \xff\xfe byte", "", 0);
  const auto j = nlohmann::json::parse(line);
  EXPECT_FALSE(j.contains("request_id"));
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(j["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

TEST(LogFormatTest, ParseLogFormat) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON").ok());
  EXPECT_FALSE(ParseLogFormat("").ok());
}

TEST(LogFormatTest, RequestIdsAreUniqueHexAndScoped) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewRequestId();
    EXPECT_THAT(id, MatchesRegex("[0-9a-f]{24}"));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(CurrentRequestId(), "");
  const std::string outer = "outer", inner = "inner";
  {
    ScopedRequestId a(outer);
    EXPECT_EQ(CurrentRequestId(), "outer");
    {
      ScopedRequestId b(inner);
      EXPECT_EQ(CurrentRequestId(), "inner");
    }
    EXPECT_EQ(CurrentRequestId(), "outer");
  }
  EXPECT_EQ(CurrentRequestId(), "");
}

class DefaultLoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("sealpost", sink));
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(DefaultLoggerTest, JsonFormatOnTheDefaultLogger) {
  SetLogFormat(LogFormat::kJson);
  spdlog::info("outside");
  {
    const std::string id = "0123456789abcdef01234567";
    ScopedRequestId scope(id);
    spdlog::warn("inside {}", "a \"request\"");
  }
  std::istringstream lines(out_.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["message"], "outside");
  EXPECT_EQ(j["level"], "info");
  EXPECT_FALSE(j.contains("request_id"));
  ASSERT_TRUE(std::getline(lines, line));
  j = nlohmann::json::parse(line);
  EXPECT_EQ(j["message"], "inside a \"request\"");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["request_id"], "0123456789abcdef01234567");
  EXPECT_FALSE(std::getline(lines, line));
}

TEST_F(DefaultLoggerTest, TextFormatNamesTheRequest) {
  SetLogFormat(LogFormat::kText);
  spdlog::info("outside");
  {
    const std::string id = "feed";
    ScopedRequestId scope(id);
    spdlog::info("inside");
  }
  const std::string text = out_.str();
  EXPECT_THAT(text, HasSubstr("[sealpost] [info] outside\n"));
  EXPECT_THAT(text, HasSubstr("[sealpost] [info] [req feed] inside\n"));
  EXPECT_THAT(text, Not(HasSubstr("{")));
}

}  // namespace
}  // namespace sealpost::telemetry
