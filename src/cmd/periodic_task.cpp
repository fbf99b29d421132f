#include "cmd/periodic_task.h"

namespace sealpost::cmd {

PeriodicTask::PeriodicTask(std::function<void()> round, std::chrono::milliseconds period)
    : round_(std::move(round)), period_(period) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      round_();
      lock.lock();
      cv_.wait_for(lock, period_, [this] { return stopping_ || woken_; });
      woken_ = false;
    }
  });
}

void PeriodicTask::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace sealpost::cmd
