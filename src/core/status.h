// Status and Result<T>: errors as values (docs/architecture.md, conventions).
//
// A Status carries one code from a small fixed set plus a message meant for logs. Front ends map
// the code to a protocol answer (HTTP status, SMTP reply) and choose the text the client sees, so
// a message may contain detail that must not reach a client.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sealpost {

enum class ErrorCode {
  kOk = 0,
  kNotFound,
  kInvalidArgument,
  kUnauthenticated,    // wrong credentials, or a ciphertext/signature that does not verify
  kPermissionDenied,   // authenticated but not allowed
  kConflict,           // state does not allow the operation (duplicate, already used…)
  kResourceExhausted,  // a size, count or rate limit was hit
  kUnavailable,        // transient: retry later
  kCorruption,         // stored data failed an integrity check
  kInternal,
};

std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status final {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) {
  return {ErrorCode::kPermissionDenied, std::move(m)};
}
inline Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {ErrorCode::kResourceExhausted, std::move(m)};
}
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
