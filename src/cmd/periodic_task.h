// Periodic background work of `serve` (housekeeping, outbound mail delivery, log sequencing):
// `round` runs on its own thread, once at start and then every `period`, until the task is
// destroyed. Failures are the round's to log; the next round tries again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sealpost::cmd {

class PeriodicTask final {
 public:
  PeriodicTask(std::function<void()> round, std::chrono::milliseconds period);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Runs the next round now rather than at the end of the period (a round already running is
  // followed by another at once). Thread-safe.
  void Wake();

 private:
  std::function<void()> round_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace sealpost::cmd
