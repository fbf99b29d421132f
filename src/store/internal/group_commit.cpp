#include "store/internal/group_commit.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "telemetry/metrics.h"

namespace sealpost::store::internal {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Both backends' write path (docs/operations.md, "Metrics").
struct CommitMetrics {
  telemetry::Histogram& write = telemetry::DefaultRegistry()
                                    .AddHistogram("sealpost_store_write_duration_seconds",
                                                  "Time a store write waits for its group commit, "
                                                  "queueing included.",
                                                  {}, telemetry::LatencyBuckets())
                                    .With();
  telemetry::Histogram& commit =
      telemetry::DefaultRegistry()
          .AddHistogram("sealpost_store_commit_duration_seconds",
                        "Time one group-commit transaction takes.", {}, telemetry::LatencyBuckets())
          .With();
  telemetry::Counter& writes =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_store_writes_total", "Store writes committed or failed.")
          .With();
};

CommitMetrics& Metrics() {
  static CommitMetrics metrics;
  return metrics;
}

}  // namespace

GroupCommit::GroupCommit(int max_batch, CommitFn commit)
    : max_batch_(static_cast<size_t>(std::max(1, max_batch))), commit_(std::move(commit)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

GroupCommit::~GroupCommit() { Stop(); }

Status GroupCommit::Write(const Callback& fn) {
  const SteadyClock::time_point started = SteadyClock::now();
  std::promise<Status> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("store is shutting down");
    queue_.push_back(Pending{&fn, &done});
  }
  cv_.notify_one();
  Status result = future.get();
  Metrics().write.ObserveDuration(SteadyClock::now() - started);
  return result;
}

void GroupCommit::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommit::WriterLoop() {
  std::vector<Pending> batch;
  std::vector<const Callback*> callbacks;
  for (;;) {
    batch.clear();
    callbacks.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    for (const Pending& p : batch) callbacks.push_back(p.fn);
    const SteadyClock::time_point started = SteadyClock::now();
    std::vector<Status> results = commit_(callbacks);
    Metrics().commit.ObserveDuration(SteadyClock::now() - started);
    Metrics().writes.Increment(batch.size());
    if (results.size() != batch.size()) {
      results.assign(batch.size(),
                     Internal("store: the batch returned the wrong number of results"));
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done->set_value(std::move(results[i]));
  }
}

}  // namespace sealpost::store::internal
