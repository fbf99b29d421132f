#include "cmd/periodic_task.h"

#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace sealpost::cmd {

PeriodicTask::PeriodicTask(std::function<void()> round, std::chrono::milliseconds period,
                           Priority priority)
    : round_(std::move(round)), period_(period) {
  thread_ = std::thread([this, priority] {
    // On Linux a nice value belongs to the thread (its tid), not to the whole process.
    if (priority == Priority::kBackground &&
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()),
                    getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())) + kBackgroundNice) !=
            0) {
      spdlog::warn("background task: cannot lower its priority; it runs at normal priority");
    }
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
