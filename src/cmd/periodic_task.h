// Periodic background work of `serve` (housekeeping, outbound mail delivery, log sequencing):
// `round` runs on its own thread, once at start and then every `period`, until the task is
// destroyed. Failures are the round's to log; the next round tries again.
//
// A background task's thread runs at a lower CPU priority (nice +10): work that trails what it
// records (receipts for deliveries already made) yields the CPUs to the work users wait for
// (making and delivering copies, taking mail) when both are busy, and catches up when they are
// not. Measured in bench/README.md ("Secure copies end to end").
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sealpost::cmd {

class PeriodicTask final {
 public:
  enum class Priority { kNormal, kBackground };
  static constexpr int kBackgroundNice = 10;

  PeriodicTask(std::function<void()> round, std::chrono::milliseconds period,
               Priority priority = Priority::kNormal);
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
