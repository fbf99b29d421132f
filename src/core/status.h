// Status and Result<T>: errors as values (docs/architecture.md, conventions).
//
// A Status has two faces. Its code and message are for the log: the message may name files,
// queries or peers and must never reach a client as it is. What a client is told comes from the
// Status's Reason (core/reason.h): a stable problem type and a text chosen for that cause. A
// message may be shown to a client only where the code that made it marked it so
// (ShownToClient), because it was written for the client (a rule the client's input broke).
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/reason.h"

namespace sealpost {

class [[nodiscard]] Status final {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  // For the log.
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // The cause a client is told; Reason::kNone leaves it to the code.
  Reason reason() const { return reason_; }
  // The text a client may see: the message where it was marked as written for the client, or
  // else "" (the front end then uses the reason's or the code's own text).
  std::string_view client_text() const {
    return message_shown_ ? std::string_view(message_) : std::string_view();
  }
  // Seconds after which a rate-limited request may succeed (0: not said).
  uint32_t retry_after_seconds() const { return retry_after_seconds_; }

  // Names the cause for the client; the message stays in the log.
  Status As(Reason reason) && {
    reason_ = reason;
    return std::move(*this);
  }
  // The message was written for the client (it describes the client's own input, never the
  // server): the client may be shown it. Optionally names the cause too.
  Status ShownToClient(Reason reason = Reason::kNone) && {
    message_shown_ = true;
    if (reason != Reason::kNone) reason_ = reason;
    return std::move(*this);
  }
  Status RetryAfter(uint32_t seconds) && {
    retry_after_seconds_ = seconds;
    return std::move(*this);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  Reason reason_ = Reason::kNone;
  bool message_shown_ = false;
  uint32_t retry_after_seconds_ = 0;
  std::string message_;
};

inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) {
  return {ErrorCode::kPermissionDenied, std::move(m)};
}
inline Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Status TooLarge(std::string m) { return {ErrorCode::kTooLarge, std::move(m)}; }
inline Status RateLimited(std::string m) { return {ErrorCode::kRateLimited, std::move(m)}; }
inline Status StorageFull(std::string m) { return {ErrorCode::kStorageFull, std::move(m)}; }
inline Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
inline Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// Result<T> holds a T or a non-OK Status. g++ 12 has no std::expected.
template <typename T>
class [[nodiscard]] Result final {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design, like StatusOr.
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sealpost

#define SP_CONCAT_INNER(a, b) a##b
#define SP_CONCAT(a, b) SP_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define SP_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::sealpost::Status sp_status_ = (expr);  \
    if (!sp_status_.ok()) return sp_status_; \
  } while (0)

// SP_ASSIGN_OR_RETURN(auto x, MakeX()): unwraps a Result or returns its status.
#define SP_ASSIGN_OR_RETURN(lhs, expr) \
  SP_ASSIGN_OR_RETURN_IMPL(SP_CONCAT(sp_result_, __LINE__), lhs, expr)
#define SP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
