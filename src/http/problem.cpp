#include "http/problem.h"

#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace sealpost::http {
namespace {

Response Problem(int status, const ClientFace& face, std::string_view detail,
                 const nlohmann::json* members = nullptr) {
  nlohmann::ordered_json doc;
  doc["type"] = std::string(kProblemTypeBase) + std::string(face.slug);
  doc["title"] = std::string(face.title);
  doc["status"] = status;
  doc["detail"] = std::string(detail.empty() ? face.text : detail);
  if (members != nullptr) {
    for (const auto& [key, value] : members->items()) {
      if (!doc.contains(key)) doc[key] = value;
    }
  }
  Response response;
  response.status = status;
  // Invalid UTF-8 in a detail (it may quote client input) is replaced, not thrown on.
  response.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.headers.emplace_back("Content-Type", "application/problem+json");
  return response;
}

int CodeStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kStorageFull:
      return 507;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kOk:
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      break;
  }
  return 500;
}

// Reasons whose answer differs from their code's. 0: the code decides.
int ReasonStatus(Reason reason) {
  switch (reason) {
    case Reason::kMalformedRequest:
      return 400;
    case Reason::kUnknownRoute:
      return 404;
    case Reason::kMethodNotAllowed:
      return 405;
    case Reason::kHeaderTooLarge:
      return 431;
    case Reason::kUnsupportedMediaType:
      return 415;
    case Reason::kTooManyTransfers:
      return 503;
    case Reason::kOriginMismatch:
    case Reason::kCsrfFailed:
    case Reason::kTotpSetupRequired:
    case Reason::kWrongPassword:
    case Reason::kMucWrong:
    case Reason::kMucNeeded:
      return 403;
    case Reason::kSessionRequired:
    case Reason::kInvalidCredentials:
    case Reason::kInvalidOneTimeCode:
    case Reason::kLoginExpired:
      return 401;
    case Reason::kTooManyAttempts:
    case Reason::kPickupThrottled:
      return 429;
    case Reason::kRecoveryFailed:
    case Reason::kInvalidPassword:
    case Reason::kInvalidDisplayName:
    case Reason::kInvalidEmail:
    case Reason::kInvalidRecipient:
    case Reason::kInvalidSubject:
    case Reason::kInvalidAttachment:
    case Reason::kMucRequired:
    case Reason::kInvalidExpiry:
    case Reason::kInvalidMuc:
    case Reason::kInvalidDeadline:
      return 400;
    case Reason::kLinkInvalid:
    case Reason::kPickupNotFound:
      return 404;
    case Reason::kAddressTaken:
    case Reason::kNothingToRecall:
    case Reason::kSealBroken:
    case Reason::kPickupEnrolled:
    case Reason::kAlreadyMember:
    case Reason::kPickupWaitsForSender:
    case Reason::kNotRegistered:
    case Reason::kAlreadyDecided:
    case Reason::kDeadlinePassed:
    case Reason::kAcceptanceRequired:
      return 409;
    case Reason::kMucLocked:
      return 423;
    case Reason::kNone:
      break;
  }
  return 0;
}

}  // namespace

int HttpStatusOf(ErrorCode code, Reason reason) {
  const int by_reason = ReasonStatus(reason);
  return by_reason != 0 ? by_reason : CodeStatus(code);
}

Response ProblemFromStatus(const Status& status) {
  return ProblemFromStatus(status, nlohmann::json::object());
}

Response ProblemFromStatus(const Status& status, const nlohmann::json& members) {
  const int http_status = HttpStatusOf(status.code(), status.reason());
  if (http_status >= 500) {
    if (status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kStorageFull) {
      spdlog::warn("http: answering {}: {}", http_status, status.ToString());
    } else {
      spdlog::error("http: answering {}: {}", http_status, status.ToString());
    }
  }
  // A 5xx never shows a message, even one marked for the client.
  const std::string_view detail = http_status < 500 ? status.client_text() : std::string_view();
  Response response =
      Problem(http_status, DescribeForClient(status.code(), status.reason()), detail, &members);
  if (status.retry_after_seconds() > 0) {
    response.SetHeader("Retry-After", std::to_string(status.retry_after_seconds()));
  }
  return response;
}

Response ProblemFor(Reason reason, std::string_view detail) {
  return Problem(HttpStatusOf(ErrorCode::kInternal, reason),
                 DescribeForClient(ErrorCode::kInternal, reason), detail);
}

Response PayloadTooLarge(uint64_t limit_bytes) {
  return ProblemFromStatus(
      TooLarge(fmt::format("The request body exceeds the limit of {} bytes.", limit_bytes))
          .ShownToClient());
}

Response NotFoundProblem() { return ProblemFor(Reason::kUnknownRoute); }

Response MethodNotAllowedProblem(std::string_view allow) {
  Response response =
      ProblemFor(Reason::kMethodNotAllowed, fmt::format("Allowed methods: {}.", allow));
  response.SetHeader("Allow", allow);
  return response;
}

Response TooManyTransfers(size_t limit) {
  Response response = ProblemFor(
      Reason::kTooManyTransfers,
      fmt::format("The server streams at most {} uploads and downloads at once; try again in a "
                  "moment.",
                  limit));
  response.SetHeader("Retry-After", "1");
  return response;
}

Response MalformedRequest(std::string_view detail) {
  return ProblemFor(Reason::kMalformedRequest, detail);
}

}  // namespace sealpost::http
