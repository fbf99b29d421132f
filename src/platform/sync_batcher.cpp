#include "platform/sync_batcher.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace sealpost::platform {

SyncBatcher::SyncBatcher(Filesystem& fs, size_t max_batch)
    : fs_(fs), max_batch_(std::max<size_t>(1, max_batch)) {}

Status SyncBatcher::SyncAndRename(WritableFile& file, const std::string& from,
                                  const std::string& to) {
  Entry entry{&file, &from, &to};
  std::unique_lock lock(mu_);
  queue_.push_back(&entry);
  ++files_;
  while (!entry.done) {
    if (running_) {
      cv_.wait(lock);
      continue;
    }
    // Nobody is running a round: this caller runs one for the queue's front (its own entry
    // included unless more than max_batch_ wait before it; then it loops).
    running_ = true;
    std::deque<Entry*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    ++rounds_;
    lock.unlock();
    RunRound(batch);
    lock.lock();
    for (Entry* e : batch) e->done = true;
    running_ = false;
    cv_.notify_all();
  }
  return entry.status;
}

void SyncBatcher::RunRound(std::deque<Entry*>& batch) {
  for (Entry* e : batch) e->status = e->file->StartSync();
  for (Entry* e : batch) {
    if (e->status.ok()) e->status = e->file->Sync();
  }
  std::set<std::string> directories;
  for (Entry* e : batch) {
    if (!e->status.ok()) continue;
    e->status = fs_.RenameUnsynced(*e->from, *e->to);
    if (e->status.ok()) directories.insert(std::filesystem::path(*e->to).parent_path().string());
  }
  Status synced = Status::Ok();
  for (const std::string& dir : directories) {
    Status s = fs_.SyncDirectory(dir);
    if (!s.ok() && synced.ok()) synced = std::move(s);
  }
  if (synced.ok()) return;
  for (Entry* e : batch) {
    if (e->status.ok()) e->status = synced;
  }
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
