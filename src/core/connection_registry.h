// The connections a server has open, so that stopping it can reach each one and wait until all
// have ended. Each connection registers when accepted and leaves when its coroutine ends (also
// when a suspended frame is destroyed); the registry holds only weak references, so it never
// keeps a connection alive. Shared by the HTTP and SMTP servers.
//
// Thread-safe. A server that checks its own state under its own lock before Add (stopping,
// session counts) takes that lock first; the registry never calls out while holding its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sealpost {

template <typename Connection>
class ConnectionRegistry final {
 public:
  // Registers `connection`; the id is for Remove.
  uint64_t Add(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mu_);
    const uint64_t id = next_id_++;
    open_.emplace(id, connection);
    return id;
  }

  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    open_.erase(id);
    if (open_.empty()) none_open_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return open_.size();
  }

  // The connections still alive, each held until the caller lets go.
  std::vector<std::shared_ptr<Connection>> Open() const {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard lock(mu_);
    out.reserve(open_.size());
    for (const auto& [id, weak] : open_) {
      if (auto connection = weak.lock()) out.push_back(std::move(connection));
    }
    return out;
  }

  // Waits until every connection has left, at most `timeout`. True when none is left.
  bool WaitUntilEmpty(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return none_open_.wait_for(lock, timeout, [this] { return open_.empty(); });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable none_open_;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> open_;  // guarded by mu_
  uint64_t next_id_ = 0;                                          // guarded by mu_
};

}  // namespace sealpost
