// The writer queue both backends share (group commit). Store::Write queues its callback and
// waits; one writer thread takes up to `max_batch` queued callbacks at a time and hands them to
// the backend's commit function, which runs them in one transaction and returns one Status per
// callback. Each caller gets its own.
//
// What a batch means is the backend's: SQLite gives each callback a savepoint and fails all of
// them when the transaction itself is lost; PostgreSQL retries the batch and isolates a failing
// callback (sqlite_store.cpp, postgres_store.cpp). The queue only orders, batches, and delivers.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace sealpost::store::internal {

class GroupCommit final {
 public:
  using Callback = std::function<Status(WriteTxn&)>;
  // Commits the callbacks of one batch, in queue order, and returns their results in that order
  // (a result vector of another size fails the whole batch with Internal). Runs on the writer
  // thread only, one batch at a time.
  using CommitFn = std::function<std::vector<Status>(std::span<const Callback* const> batch)>;

  // Starts the writer thread.
  GroupCommit(int max_batch, CommitFn commit);
  // Stop().
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `fn` and waits for its batch to commit; the result is fn's own, or the batch's
  // failure as the backend reports it. Unavailable once stopping.
  Status Write(const Callback& fn);

  // Refuses new writes, commits every callback already queued, and ends the writer thread. The
  // owner calls it before anything CommitFn uses goes away. Idempotent.
  void Stop();

  // Callbacks waiting for a batch (not counting the one being committed), for tests.
  size_t queued() const;

 private:
  struct Pending {
    const Callback* fn;
    std::promise<Status>* done;
  };

  void WriterLoop();

  const size_t max_batch_;
  const CommitFn commit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace sealpost::store::internal
