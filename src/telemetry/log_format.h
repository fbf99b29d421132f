// The format of the process's log lines (the `[logging] format` setting; docs/operations.md).
//
// "text": spdlog's usual line, with "[req <id>] " before the message of a line written for an
// HTTP request. "json": one JSON object per line — {"time": RFC 3339 UTC with milliseconds,
// "level", "logger", "message", and "request_id" when the line belongs to a request} — so that a
// message holding quotes, newlines or invalid UTF-8 still makes exactly one parseable line
// (invalid bytes become U+FFFD).
//
// What goes into a message is the caller's responsibility: never a secret or content.
//
// Thread-safety: call SetLogFormat() at start-up, before other threads log.
#pragma once

#include <string_view>

#include "core/status.h"

namespace sealpost::telemetry {

enum class LogFormat { kText, kJson };

// "text" or "json"; InvalidArgument otherwise.
Result<LogFormat> ParseLogFormat(std::string_view name);

// Installs the format on spdlog's default logger (all its sinks).
void SetLogFormat(LogFormat format);

// One JSON log line (with the trailing newline) as SetLogFormat(kJson) writes it; for tests.
std::string FormatJsonLogLine(std::string_view level, std::string_view logger,
                              std::string_view message, std::string_view request_id,
                              int64_t unix_millis);

}  // namespace sealpost::telemetry
