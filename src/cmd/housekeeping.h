// Periodic background work of `serve`: expiring unused uploads and dead sessions. Runs on its own
// thread, once at start and then every `period`, until destroyed. Failures are logged and the
// next round tries again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sealpost::cmd {

class Housekeeping final {
 public:
  Housekeeping(std::function<void()> round, std::chrono::seconds period);
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

 private:
  std::function<void()> round_;
  std::chrono::seconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sealpost::cmd
