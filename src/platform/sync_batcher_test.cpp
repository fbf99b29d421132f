#include "platform/sync_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "platform/testing/fault_injecting_filesystem.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::platform {
namespace {

using testing::FaultInjectingFilesystem;

// Passes everything to another filesystem, counts Syncs and directory syncs, and can hold the
// first directory fsync until released: while it waits, its round is under way and the other
// writers queue for the next one.
class CountingFilesystem final : public Filesystem {
 public:
  explicit CountingFilesystem(Filesystem& inner) : inner_(inner) {}

  void HoldFirstDirectorySync() { hold_first_ = true; }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  int syncs() const { return syncs_.load(); }
  int directory_syncs() const { return directory_syncs_.load(); }
  int directory_syncs_done() const { return directory_syncs_done_.load(); }

  // A file that records, once its Sync returned Ok, that its data is synced.
  class File final : public WritableFile {
   public:
    File(CountingFilesystem& fs, std::unique_ptr<WritableFile> inner)
        : fs_(fs), inner_(std::move(inner)) {}
    Status Append(std::span<const uint8_t> data) override { return inner_->Append(data); }
    Status StartSync() override { return inner_->StartSync(); }
    Status Sync() override {
      Status s = inner_->Sync();
      ++fs_.syncs_;
      if (s.ok()) synced = true;
      return s;
    }
    Status Close() override { return inner_->Close(); }
    std::atomic<bool> synced{false};

   private:
    CountingFilesystem& fs_;
    std::unique_ptr<WritableFile> inner_;
  };

  Result<std::unique_ptr<WritableFile>> CreateWritable(const std::string& path) override {
    SP_ASSIGN_OR_RETURN(auto file, inner_.CreateWritable(path));
    return std::unique_ptr<WritableFile>(std::make_unique<File>(*this, std::move(file)));
  }
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override {
    return inner_.OpenReadable(path);
  }
  Result<std::unique_ptr<WritableFile>> CreateUncached(const std::string& path) override {
    SP_ASSIGN_OR_RETURN(auto file, inner_.CreateUncached(path));
    return std::unique_ptr<WritableFile>(std::make_unique<File>(*this, std::move(file)));
  }
  Result<std::unique_ptr<ReadableFile>> OpenUncached(const std::string& path) override {
    return inner_.OpenUncached(path);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return inner_.Rename(from, to);
  }
  Status RenameUnsynced(const std::string& from, const std::string& to) override {
    return inner_.RenameUnsynced(from, to);
  }
  Status SyncDirectory(const std::string& dir) override {
    ++directory_syncs_;
    MaybeHold();
    Status s = inner_.SyncDirectory(dir);
    ++directory_syncs_done_;
    return s;
  }
  Status Remove(const std::string& path) override { return inner_.Remove(path); }
  Status CreateDirectories(const std::string& path) override {
    return inner_.CreateDirectories(path);
  }
  bool Exists(const std::string& path) override { return inner_.Exists(path); }
  Result<uint64_t> FileSize(const std::string& path) override { return inner_.FileSize(path); }

 private:
  void MaybeHold() {
    if (!hold_first_.exchange(false)) return;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return released_; });
  }

  Filesystem& inner_;
  std::atomic<bool> hold_first_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::atomic<int> syncs_{0};
  std::atomic<int> directory_syncs_{0};
  std::atomic<int> directory_syncs_done_{0};
};

// What one writer saw: its status, and whether its file was synced and published, and how many
// directory fsyncs had finished, when SyncAndRename returned.
struct Outcome {
  Status status = Internal("not run");
  bool synced_before_return = false;
  bool published_before_return = false;
  int directory_syncs_done = 0;
};

class SyncBatcherTest : public ::testing::Test {
 protected:
  SyncBatcherTest() : faults_(DefaultFilesystem()), fs_(faults_) {
    EXPECT_THAT(fs_.CreateDirectories(dir_.path() + "/tmp"), IsOk());
    EXPECT_THAT(fs_.CreateDirectories(dir_.path() + "/final"), IsOk());
    EXPECT_THAT(fs_.CreateDirectories(dir_.path() + "/other"), IsOk());
  }

  std::string Tmp(int i) const { return dir_.path() + "/tmp/" + std::to_string(i) + ".part"; }
  std::string Final(int i) const {
    return dir_.path() + (two_directories_ && i % 2 == 1 ? "/other/" : "/final/") +
           std::to_string(i);
  }

  // `n` writers, each writing a file and handing it to `batcher` at once. With
  // `hold_first`, the first writer's round holds its directory fsync until all n are queued, so
  // that the others must share the rounds after it.
  std::vector<Outcome> RunWriters(SyncBatcher& batcher, int n, bool hold_first) {
    std::vector<Outcome> outcomes(n);
    std::vector<std::unique_ptr<WritableFile>> files(n);
    for (int i = 0; i < n; ++i) {
      auto file = fs_.CreateUncached(Tmp(i));
      EXPECT_THAT(file.status(), IsOk());
      files[i] = std::move(file).value();
      EXPECT_THAT(files[i]->Append(AsBytes("message " + std::to_string(i))), IsOk());
    }
    if (hold_first) fs_.HoldFirstDirectorySync();
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        auto& file = static_cast<CountingFilesystem::File&>(*files[i]);
        outcomes[i].status = batcher.SyncAndRename(file, Tmp(i), Final(i));
        outcomes[i].synced_before_return = file.synced.load();
        outcomes[i].published_before_return = fs_.Exists(Final(i)) && !fs_.Exists(Tmp(i));
        outcomes[i].directory_syncs_done = fs_.directory_syncs_done();
      });
      // The first writer must be the one whose round is held: let it start the round first.
      if (i == 0 && hold_first) {
        while (batcher.rounds() == 0) std::this_thread::yield();
      }
    }
    if (hold_first) {
      while (batcher.files() < static_cast<uint64_t>(n)) std::this_thread::yield();
      fs_.Release();
    }
    for (auto& t : threads) t.join();
    for (auto& f : files) EXPECT_THAT(f->Close(), IsOk());
    return outcomes;
  }

  testutil::TempDir dir_;
  bool two_directories_ = false;
  FaultInjectingFilesystem faults_;
  CountingFilesystem fs_;
};

// 16 writers at once: every one is synced, published and its directory fsynced before it hears
// Ok, in two rounds (the first, held, for the first writer; one for the fifteen queued meanwhile),
// with one directory fsync per round rather than one per file.
TEST_F(SyncBatcherTest, ConcurrentWritersShareRoundsAndWakeOnlyWhenDurable) {
  SyncBatcher batcher(fs_);
  constexpr int kWriters = 16;
  const std::vector<Outcome> outcomes = RunWriters(batcher, kWriters, /*hold_first=*/true);
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_THAT(outcomes[i].status, IsOk()) << i;
    EXPECT_TRUE(outcomes[i].synced_before_return) << i;
    EXPECT_TRUE(outcomes[i].published_before_return) << i;
    EXPECT_GE(outcomes[i].directory_syncs_done, i == 0 ? 1 : 2) << i;
    auto text = ReadSmallFile(fs_, Final(i), 100);
    ASSERT_THAT(text.status(), IsOk());
    EXPECT_EQ(*text, "message " + std::to_string(i));
  }
  EXPECT_EQ(batcher.files(), static_cast<uint64_t>(kWriters));
  EXPECT_EQ(batcher.rounds(), 2u);
  EXPECT_EQ(fs_.syncs(), kWriters);
  EXPECT_EQ(fs_.directory_syncs(), 2);
}

// A lone writer runs its round at once, with one directory fsync.
TEST_F(SyncBatcherTest, ALoneWriterRunsItsOwnRound) {
  SyncBatcher batcher(fs_);
  const std::vector<Outcome> outcomes = RunWriters(batcher, 1, /*hold_first=*/false);
  EXPECT_THAT(outcomes[0].status, IsOk());
  EXPECT_TRUE(outcomes[0].published_before_return);
  EXPECT_EQ(batcher.rounds(), 1u);
  EXPECT_EQ(fs_.directory_syncs(), 1);
}

// Rounds never exceed max_batch: 9 queued writers behind a held one, 4 per round.
TEST_F(SyncBatcherTest, RoundsTakeAtMostMaxBatch) {
  SyncBatcher batcher(fs_, 4);
  const std::vector<Outcome> outcomes = RunWriters(batcher, 10, /*hold_first=*/true);
  for (const Outcome& o : outcomes) EXPECT_THAT(o.status, IsOk());
  EXPECT_EQ(batcher.rounds(), 4u);  // 1, then 4 + 4 + 1
}

// A failed fdatasync fails every writer it hits with the I/O error; nothing is published, and no
// round runs for files that are not synced.
TEST_F(SyncBatcherTest, AFailedSyncFailsEachWaiterAndPublishesNothing) {
  SyncBatcher batcher(fs_);
  faults_.FailSyncs();
  constexpr int kWriters = 8;
  const std::vector<Outcome> outcomes = RunWriters(batcher, kWriters, /*hold_first=*/false);
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_THAT(outcomes[i].status, StatusIs(testing::IoErrorCode())) << i;
    EXPECT_FALSE(fs_.Exists(Final(i))) << i;
    EXPECT_TRUE(fs_.Exists(Tmp(i))) << i;  // the caller's to remove
  }
  EXPECT_EQ(batcher.rounds(), 0u);
  EXPECT_EQ(fs_.directory_syncs(), 0);
}

// Only the writer whose fdatasync failed hears the error; the others are durable.
TEST_F(SyncBatcherTest, OneFailedSyncFailsOnlyItsWriter) {
  SyncBatcher batcher(fs_);
  faults_.FailSyncs(1);
  constexpr int kWriters = 6;
  const std::vector<Outcome> outcomes = RunWriters(batcher, kWriters, /*hold_first=*/false);
  int failed = 0;
  for (int i = 0; i < kWriters; ++i) {
    if (outcomes[i].status.ok()) {
      EXPECT_TRUE(outcomes[i].published_before_return) << i;
      EXPECT_TRUE(outcomes[i].synced_before_return) << i;
    } else {
      ++failed;
      EXPECT_THAT(outcomes[i].status, StatusIs(testing::IoErrorCode())) << i;
      EXPECT_FALSE(fs_.Exists(Final(i))) << i;
    }
  }
  EXPECT_EQ(failed, 1);
}

// A failed directory fsync fails every writer of the round, those whose files went into another
// directory too (the round's renames share the journal commit that failed). The files are under
// their final names: their callers remove them.
TEST_F(SyncBatcherTest, AFailedDirectorySyncFailsTheWholeRound) {
  SyncBatcher batcher(fs_);
  two_directories_ = true;  // odd-numbered writers publish into another directory
  // Two failures: the held first round's only fsync, and the first of the second round's two.
  faults_.FailDirectorySyncs(2);
  constexpr int kWriters = 7;
  const std::vector<Outcome> outcomes = RunWriters(batcher, kWriters, /*hold_first=*/true);
  EXPECT_EQ(batcher.rounds(), 2u);
  EXPECT_EQ(fs_.directory_syncs(), 3);
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_THAT(outcomes[i].status, StatusIs(testing::IoErrorCode())) << i;
    EXPECT_TRUE(fs_.Exists(Final(i))) << i;
  }
}

}  // namespace
}  // namespace sealpost::platform
