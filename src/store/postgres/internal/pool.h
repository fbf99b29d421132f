// A pool of libpq connections, each with the statement catalogue prepared. Used by the store and
// the blob store of one process.
#pragma once

#include <pqxx/pqxx>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {

// A connection that never reconnects by itself. libpqxx 6 would otherwise reopen a lost
// connection at the next statement outside a pqxx transaction object, and the store's batches
// begin their transactions by hand (postgres_store.cpp): a statement meant for the lost
// transaction would then run, and commit, on its own. Lost connections are the pool's to replace.
inline Result<std::unique_ptr<pqxx::connection>> Connect(const std::string& url) {
  try {
    auto conn = std::make_unique<pqxx::connection>(url);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // still the only way in libpqxx 6
    conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    PrepareAll(*conn);
    return conn;
  } catch (...) {
    return StatusFromException(std::current_exception(), nullptr);
  }
}

// At most `max` connections, opened on demand; a broken one is dropped and replaced.
class Pool {
 public:
  Pool(std::string url, int max) : url_(std::move(url)), max_(max) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->Release(std::move(conn_));
    }
    pqxx::connection& conn() { return *conn_; }
    // The connection is unusable (lost, or left in an unknown state): do not reuse it.
    void Discard() { conn_.reset(); }

   private:
    Pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    auto conn = Connect(url_);
    if (!conn.ok()) {
      Release(nullptr);
      return conn.status();
    }
    return Lease(this, std::move(conn).value());
  }

  // The database URL (for a connection that must stay outside the pool, such as the log
  // sequencer's lock holder).
  const std::string& url() const { return url_; }

  void Put(std::unique_ptr<pqxx::connection> conn) {
    std::lock_guard lock(mu_);
    ++open_;
    idle_.push_back(std::move(conn));
  }

 private:
  void Release(std::unique_ptr<pqxx::connection> conn) {
    {
      std::lock_guard lock(mu_);
      if (conn && conn->is_open()) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    cv_.notify_one();
  }

  const std::string url_;
  const int max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
};

}  // namespace sealpost::store::postgres
