// The batch's transaction as the domain writers share it. Every writer method catches libpqxx's
// exceptions: the first error is remembered (failure()), because PostgreSQL refuses further
// statements in an aborted transaction and Write must roll back and report it even if the
// callback ignores it.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

class AuditTail;

class PgTxn final {
 public:
  // `tx` has taken the write lock (PostgresStore's batch); `audit` is the batch's.
  PgTxn(pqxx::transaction_base& tx, AuditTail& audit) : tx_(tx), audit_(audit) {}

  pqxx::transaction_base& tx() { return tx_; }
  AuditTail& audit() { return audit_; }
  const Status& failure() const { return failure_; }
  bool retryable() const { return retryable_; }

  // Runs `fn` (which may throw), turning an exception into the remembered failure. Nothing runs
  // once a statement failed: the transaction is aborted.
  template <typename Fn>
  Status GuardStatus(Fn&& fn) {
    if (!failure_.ok()) return failure_;
    try {
      return fn();
    } catch (...) {
      failure_ = StatusFromException(std::current_exception(), &retryable_);
      return failure_;
    }
  }
  template <typename T, typename Fn>
  Result<T> Guard(Fn&& fn) {
    if (!failure_.ok()) return failure_;  // the transaction is aborted; nothing more runs
    try {
      return fn();
    } catch (...) {
      failure_ = StatusFromException(std::current_exception(), &retryable_);
      return failure_;
    }
  }

 private:
  pqxx::transaction_base& tx_;
  AuditTail& audit_;
  Status failure_;
  bool retryable_ = false;
};

inline Status ExpectOneRow(const pqxx::result& r, const char* what) {
  if (r.affected_rows() == 0) return NotFound(std::string(what) + " not found");
  return Status::Ok();
}

inline Status ExpectInserted(const pqxx::result& r, const char* what) {
  if (r.affected_rows() == 0) return Conflict(std::string(what) + " already exists");
  return Status::Ok();
}

// A PostgreSQL array literal ({"a","b"}), for statements that insert many rows in one go. Every
// element is quoted, so any text is safe.
class ArrayLiteral {
 public:
  void Add(std::string_view element) {
    text_ += text_.size() > 1 ? ",\"" : "\"";
    for (const char c : element) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  std::string str() const { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

// A missing time is sent as -1, which the statement turns into NULL (times are never negative).
inline int64_t MillisOrNone(const std::optional<TimePoint>& t) { return t ? ToUnixMillis(*t) : -1; }

}  // namespace sealpost::store::postgres
