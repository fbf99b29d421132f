// Batched durability for files published by rename (the encrypted blobs of mail intake,
// docs/smtp-gateway.md "Throughput"). Many threads each finish writing a file and must not go on
// before it is durable under its final name; each doing its own fdatasync and directory fsync
// costs a journal commit and a disk flush or two per file, one thread after the other. Here the
// first caller to arrive runs a sync round for everything queued, the others queue behind it and
// the next round takes all of them at once:
//   1. StartSync each file (write-back starts; block allocations join the running journal
//      transaction), then Sync (fdatasync) each: one journal commit for the round, the other
//      fdatasyncs find their data written.
//   2. Rename each file that synced to its final name, without a directory fsync.
//   3. SyncDirectory each directory a rename went into, once per round.
// Only then are the round's callers woken, each with its own Status. fdatasync per file rather
// than one syncfs: the blob directory shares its filesystem with the database and, on most hosts,
// with everything else; syncfs would also wait for every other writer's dirty pages.
//
// Failures: a file whose StartSync, Sync or rename fails gets that error (nothing was published,
// or, when the rename itself happened and then failed, the caller removes the final name as after
// a failed Filesystem::Rename). A failed directory fsync fails every caller of the round whose
// file was renamed: on a journalling filesystem the round's renames share one commit, and after an
// fsync error none of them is known to be durable. A caller that returned Ok is durable.
//
// Thread-safe. No thread of its own: the callers take turns running the rounds.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "core/status.h"
#include "platform/filesystem.h"

namespace sealpost::platform {

class SyncBatcher final {
 public:
  // Rounds take at most `max_batch` files (at least 1).
  explicit SyncBatcher(Filesystem& fs, size_t max_batch = 128);
  SyncBatcher(const SyncBatcher&) = delete;
  SyncBatcher& operator=(const SyncBatcher&) = delete;

  // Makes the data of `file` (written through `fs`, still open, at path `from`) durable, renames
  // `from` to `to`, and makes the rename durable; returns once all of that is done, or failed, in
  // a round shared with every other caller meanwhile. `file` is not closed. The caller keeps
  // `file` alive and does not touch it until this returns.
  Status SyncAndRename(WritableFile& file, const std::string& from, const std::string& to);

  // Rounds run and files handed in so far (tests, docs/operations.md's reasoning).
  uint64_t rounds() const;
  uint64_t files() const;

 private:
  struct Entry {
    WritableFile* file;
    const std::string* from;
    const std::string* to;
    Status status = Status::Ok();
    bool done = false;
  };

  // Syncs, renames and syncs the directories of `batch`, setting each entry's status. Called
  // without mu_ by one caller at a time.
  void RunRound(std::deque<Entry*>& batch);

  Filesystem& fs_;
  const size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry*> queue_;  // waiting for a round
  bool running_ = false;      // a round is under way
  uint64_t rounds_ = 0;
  uint64_t files_ = 0;
};

}  // namespace sealpost::platform
