#include "telemetry/log_format.h"

#include <chrono>
#include <ctime>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "telemetry/request_context.h"

namespace sealpost::telemetry {
namespace {

std::string_view View(spdlog::string_view_t s) { return std::string_view(s.data(), s.size()); }

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const int64_t millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const std::string line =
        FormatJsonLogLine(View(spdlog::level::to_string_view(msg.level)), View(msg.logger_name),
                          View(msg.payload), CurrentRequestId(), millis);
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// %* in a text pattern: "[req <id>] " on lines written for a request, nothing otherwise.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view id = CurrentRequestId();
    if (id.empty()) return;
    const std::string text = fmt::format("[req {}] ", id);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return InvalidArgument("the log format must be \"text\" or \"json\"");
}

void SetLogFormat(LogFormat format) {
  if (format == LogFormat::kJson) {
    spdlog::default_logger()->set_formatter(std::make_unique<JsonFormatter>());
    return;
  }
  auto text = std::make_unique<spdlog::pattern_formatter>();
  // spdlog's default pattern (%+) with the request id before the message.
  text->add_flag<RequestIdFlag>('*').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %*%v");
  spdlog::default_logger()->set_formatter(std::move(text));
}

std::string FormatJsonLogLine(std::string_view level, std::string_view logger,
                              std::string_view message, std::string_view request_id,
                              int64_t unix_millis) {
  const std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  nlohmann::ordered_json line;
  line["time"] =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_millis % 1000);
  line["level"] = std::string(level);
  line["logger"] = std::string(logger);
  line["message"] = std::string(message);
  if (!request_id.empty()) line["request_id"] = std::string(request_id);
  // replace: a message with invalid UTF-8 still makes a valid line (U+FFFD).
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sealpost::telemetry
