// Batched durability for files published by rename (the encrypted blobs of mail intake,
// docs/smtp-gateway.md "Throughput"). Many threads each finish writing a file and must not go on
// before it is durable under its final name. Each caller:
//   1. syncs its own file's data (StartSync, then Sync: fdatasync), on its own thread, at the same
//      time as the other callers: the kernel joins concurrent fdatasyncs into shared journal
//      commits (jbd2 on ext4), which one thread syncing file after file would undo;
//   2. joins the queue of a round. The first caller to find no round running takes the queue,
//      renames every file of it to its final name (no directory fsync yet) and hands each
//      directory those renames touched to one caller of the round, which fsyncs it: each
//      directory once per round, the directories in parallel.
// Only when every directory of the round is synced are its callers woken, each with its own
// Status. Callers arriving meanwhile queue for the next round.
//
// Why not one thread syncing a whole batch, or syncfs (measured on the 2-vCPU ext4 VM of
// bench/README.md, 8 writers of 10 KiB files): every fsync waits about 4-5 ms for the disk, so
// fdatasync then fsync of the directory file after file in one thread made 117-144 files/s, and
// syncfs per round 650-980 files/s (it also writes back every other process's dirty pages on the
// filesystem, which the blob directory shares with the database and, on most hosts, with
// everything else); the same syncs issued from eight threads at once made 1,750-2,800 files/s,
// and this cooperative round 2,400-3,500.
//
// Failures: a file whose StartSync or Sync fails gets that error and never joins a round (nothing
// published). A failed rename fails its caller (when the rename itself happened and then failed,
// the caller removes the final name as after a failed Filesystem::Rename). A failed directory
// fsync fails every caller of the round whose file was renamed, whatever its directory: on a
// journalling filesystem the round's renames share a commit, and after an fsync error none of
// them is known to be durable. A caller that returned Ok is durable.
//
// Thread-safe. No thread of its own: the callers take turns running the rounds.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/filesystem.h"

namespace sealpost::platform {

class SyncBatcher final {
 public:
  // Told the number of files after each round (under the batcher's lock: keep it quick).
  using RoundObserver = std::function<void(size_t files)>;

  // Rounds take at most `max_batch` files (at least 1).
  explicit SyncBatcher(Filesystem& fs, size_t max_batch = 128, RoundObserver on_round = nullptr);
  SyncBatcher(const SyncBatcher&) = delete;
  SyncBatcher& operator=(const SyncBatcher&) = delete;

  // Makes the data of `file` (written through `fs`, still open, at path `from`) durable, renames
  // `from` to `to`, and makes the rename durable; returns once all of that is done, or failed.
  // `file` is not closed. The caller keeps `file` alive and does not touch it until this returns.
  Status SyncAndRename(WritableFile& file, const std::string& from, const std::string& to);

  // Rounds run and files that joined one so far (tests, metrics).
  uint64_t rounds() const;
  uint64_t files() const;

 private:
  struct Entry {
    const std::string* from;
    const std::string* to;
    Status status = Status::Ok();
    std::optional<std::string> directory_to_sync;  // handed over by the round's leader
    bool done = false;
  };

  // Takes a round from the queue and renames its files. Called with `lock` held; drops it while
  // renaming.
  void StartRound(std::unique_lock<std::mutex>& lock);
  // Sets every entry of the round done (failed if a directory fsync failed). mu_ held.
  void FinishRound();

  Filesystem& fs_;
  const size_t max_batch_;
  const RoundObserver on_round_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry*> queue_;  // synced, waiting for a round
  bool running_ = false;      // a round is under way: round_ below
  std::vector<Entry*> round_;
  size_t directories_left_ = 0;              // of round_, not yet synced
  Status directory_failure_ = Status::Ok();  // of round_: the first failed directory fsync
  uint64_t rounds_ = 0;
  uint64_t files_ = 0;
};

}  // namespace sealpost::platform
