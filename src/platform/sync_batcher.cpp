#include "platform/sync_batcher.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

namespace sealpost::platform {

SyncBatcher::SyncBatcher(Filesystem& fs, size_t max_batch, RoundObserver on_round)
    : fs_(fs), max_batch_(std::max<size_t>(1, max_batch)), on_round_(std::move(on_round)) {}

Status SyncBatcher::SyncAndRename(WritableFile& file, const std::string& from,
                                  const std::string& to) {
  // The data first, on this thread, concurrently with the other callers.
  SP_RETURN_IF_ERROR(file.StartSync());
  SP_RETURN_IF_ERROR(file.Sync());

  Entry entry{&from, &to};
  std::unique_lock lock(mu_);
  queue_.push_back(&entry);
  ++files_;
  for (;;) {
    if (entry.done) return entry.status;
    if (entry.directory_to_sync) {
      const std::string dir = std::move(*entry.directory_to_sync);
      entry.directory_to_sync.reset();
      lock.unlock();
      Status synced = fs_.SyncDirectory(dir);
      lock.lock();
      if (!synced.ok() && directory_failure_.ok()) directory_failure_ = std::move(synced);
      if (--directories_left_ == 0) FinishRound();
      continue;
    }
    // Not done and no round running: the entry is still queued, and this caller starts a round.
    if (!running_) {
      StartRound(lock);
      continue;
    }
    cv_.wait(lock);
  }
}

void SyncBatcher::StartRound(std::unique_lock<std::mutex>& lock) {
  running_ = true;
  ++rounds_;
  round_.clear();
  while (!queue_.empty() && round_.size() < max_batch_) {
    round_.push_back(queue_.front());
    queue_.pop_front();
  }
  directory_failure_ = Status::Ok();
  lock.unlock();
  std::set<std::string> directories;
  for (Entry* e : round_) {
    e->status = fs_.RenameUnsynced(*e->from, *e->to);
    if (e->status.ok()) directories.insert(std::filesystem::path(*e->to).parent_path().string());
  }
  lock.lock();
  // Each directory to the first caller of the round that renamed into it.
  directories_left_ = directories.size();
  for (Entry* e : round_) {
    if (!e->status.ok()) continue;
    auto it = directories.find(std::filesystem::path(*e->to).parent_path().string());
    if (it == directories.end()) continue;
    e->directory_to_sync = *it;
    directories.erase(it);
  }
  if (directories_left_ == 0) {
    FinishRound();
  } else {
    cv_.notify_all();
  }
}

void SyncBatcher::FinishRound() {
  for (Entry* e : round_) {
    if (e->status.ok() && !directory_failure_.ok()) e->status = directory_failure_;
    e->done = true;
  }
  if (on_round_) on_round_(round_.size());
  round_.clear();
  running_ = false;
  cv_.notify_all();
}

uint64_t SyncBatcher::rounds() const {
  std::lock_guard lock(mu_);
  return rounds_;
}

uint64_t SyncBatcher::files() const {
  std::lock_guard lock(mu_);
  return files_;
}

}  // namespace sealpost::platform
