// Reads for the domain readers: each runs outside any explicit transaction on a pooled
// connection.
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "core/status.h"
#include "store/postgres/internal/pool.h"
#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

class Reader final {
 public:
  explicit Reader(Pool& pool) : pool_(pool) {}

  // Runs a read outside any explicit transaction (each statement is its own snapshot). A lost
  // connection is retried once on a fresh one. `fn` returns T or Result<T>.
  template <typename T, typename Fn>
  Result<T> Read(Fn&& fn) {
    Status last = Unavailable("postgres: no attempt made");
    for (int attempt = 0; attempt < 2; ++attempt) {
      SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
      bool retryable = false;
      try {
        pqxx::nontransaction tx(lease.conn());
        return Result<T>(fn(tx));
      } catch (...) {
        last = StatusFromException(std::current_exception(), &retryable);
      }
      if (!lease.conn().is_open()) lease.Discard();
      if (!retryable) return last;
    }
    return last;
  }

  template <typename T, typename RowFn, typename... Args>
  Result<T> ReadOne(const char* statement, RowFn row_fn, const char* what, const Args&... args) {
    return Read<T>([&](pqxx::transaction_base& tx) -> Result<T> {
      const auto r = tx.exec_prepared(statement, args...);
      if (r.empty()) return NotFound(std::string(what) + " not found");
      return row_fn(r[0]);
    });
  }

  template <typename T, typename RowFn, typename... Args>
  Result<std::vector<T>> ReadAll(RowFn row_fn, const char* statement, const Args&... args) {
    return Read<std::vector<T>>([&](pqxx::transaction_base& tx) {
      const auto r = tx.exec_prepared(statement, args...);
      std::vector<T> out;
      out.reserve(r.size());
      for (const auto& row : r) out.push_back(row_fn(row));
      return out;
    });
  }

 private:
  Pool& pool_;
};

}  // namespace sealpost::store::postgres
