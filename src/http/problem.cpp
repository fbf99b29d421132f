#include "http/problem.h"

#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace sealpost::http {

Response Problem(int status, std::string_view type_slug, std::string_view title,
                 std::string_view detail) {
  nlohmann::ordered_json doc;
  doc["type"] = std::string(kProblemTypeBase) + std::string(type_slug);
  doc["title"] = std::string(title);
  doc["status"] = status;
  if (!detail.empty()) doc["detail"] = std::string(detail);
  Response response;
  response.status = status;
  // Invalid UTF-8 in a detail (it may quote client input) is replaced, not thrown on.
  response.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.headers.emplace_back("Content-Type", "application/problem+json");
  return response;
}

Response ProblemFromStatus(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
      return Problem(400, "invalid-argument", "Invalid argument", status.message());
    case ErrorCode::kUnauthenticated:
      return Problem(401, "unauthenticated", "Authentication required", status.message());
    case ErrorCode::kPermissionDenied:
      return Problem(403, "forbidden", "Forbidden", status.message());
    case ErrorCode::kNotFound:
      return Problem(404, "not-found", "Not found", status.message());
    case ErrorCode::kConflict:
      return Problem(409, "conflict", "Conflict", status.message());
    case ErrorCode::kResourceExhausted:
      return Problem(413, "payload-too-large", "Payload too large", status.message());
    case ErrorCode::kUnavailable:
      spdlog::warn("http: answering 503: {}", status.ToString());
      return Problem(503, "unavailable", "Service unavailable, try again later");
    case ErrorCode::kCorruption:
      spdlog::error("http: answering 500 (integrity): {}", status.ToString());
      return Problem(500, "integrity-failure", "Stored data failed an integrity check");
    case ErrorCode::kOk:
    case ErrorCode::kInternal:
      break;
  }
  spdlog::error("http: answering 500: {}", status.ToString());
  return Problem(500, "internal", "Internal server error");
}

Response PayloadTooLarge(uint64_t limit_bytes) {
  return Problem(413, "payload-too-large", "Payload too large",
                 fmt::format("The request body exceeds the limit of {} bytes.", limit_bytes));
}

Response NotFoundProblem() {
  return Problem(404, "not-found", "Not found", "No resource matches the request path.");
}

Response MethodNotAllowedProblem(std::string_view allow) {
  Response response = Problem(405, "method-not-allowed", "Method not allowed",
                              fmt::format("Allowed methods: {}.", allow));
  response.SetHeader("Allow", allow);
  return response;
}

Response TooManyTransfers(size_t limit) {
  Response response =
      Problem(503, "too-many-transfers", "Too many transfers in progress",
              fmt::format("The server streams at most {} uploads and downloads at once; try again "
                          "in a moment.",
                          limit));
  response.SetHeader("Retry-After", "1");
  return response;
}

Response MalformedRequest(std::string_view detail) {
  return Problem(400, "malformed-request", "Malformed request", detail);
}

}  // namespace sealpost::http
