// The store's read-only connections, lent to one read at a time.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/sqlite/internal/connection.h"

namespace sealpost::store::sqlite {

class ReaderPool final {
 public:
  explicit ReaderPool(std::vector<std::unique_ptr<Connection>> readers)
      : readers_(std::move(readers)) {}

  // Runs `fn` on a free connection, waiting for one if all are lent.
  template <typename T>
  Result<T> WithReader(const std::function<Result<T>(Connection&)>& fn) {
    std::unique_ptr<Connection> conn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !readers_.empty(); });
      conn = std::move(readers_.back());
      readers_.pop_back();
    }
    Result<T> result = fn(*conn);
    conn->ResetAll();  // no statement may keep a read transaction open
    {
      std::lock_guard lock(mu_);
      readers_.push_back(std::move(conn));
    }
    cv_.notify_one();
    return result;
  }

  // The first row of `sql` (parameters set by `bind`) through `read`; NotFound("<what> not
  // found") when there is none.
  template <typename T, typename BindFn, typename ReadFn>
  Result<T> ReadOne(const std::string& sql, BindFn bind, ReadFn read, const char* what) {
    return WithReader<T>([&](Connection& db) -> Result<T> {
      SP_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
      bind(s);
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return NotFound(std::string(what) + " not found");
      return read(s);
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> readers_;
};

}  // namespace sealpost::store::sqlite
