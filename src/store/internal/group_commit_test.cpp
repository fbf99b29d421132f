#include "store/internal/group_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sealpost::store::internal {
namespace {

using ::testing::ElementsAre;

// The queue never looks inside a transaction; the tests' callbacks do not either.
class NoTxn final : public WriteTxn {
 public:
  AccountsWriter& accounts() override { std::abort(); }
  MessagesWriter& messages() override { std::abort(); }
  GuestsWriter& guests() override { std::abort(); }
  OutboxWriter& outbox() override { std::abort(); }
  AuditWriter& audit() override { std::abort(); }
  LogWriter& log() override { std::abort(); }
  PlatformWriter& platform() override { std::abort(); }
  KeysWriter& keys() override { std::abort(); }
  EvidenceWriter& evidence() override { std::abort(); }
  KeyRotationWriter& key_rotation() override { std::abort(); }
  SecureDeliveryWriter& secure_delivery() override { std::abort(); }
  RegisteredWriter& registered() override { std::abort(); }
  TlsPartnersWriter& tls_partners() override { std::abort(); }
  AccessWriter& access() override { std::abort(); }
  RetentionWriter& retention() override { std::abort(); }
  EscrowWriter& escrow() override { std::abort(); }
  AppPasswordWriter& app_passwords() override { std::abort(); }
};

// A commit function that runs each callback and keeps its result (as SQLite does with its
// savepoints), records the batch sizes, and can be held at the start of a batch.
class FakeBackend {
 public:
  GroupCommit::CommitFn Fn() {
    return [this](std::span<const GroupCommit::Callback* const> batch) {
      {
        std::unique_lock lock(mu_);
        sizes_.push_back(batch.size());
        ++started_;
        cv_.notify_all();
        cv_.wait(lock, [&] { return !held_; });
      }
      std::vector<Status> results;
      NoTxn txn;
      for (const auto* fn : batch) results.push_back((*fn)(txn));
      if (fail_all_) return std::vector<Status>(batch.size(), Unavailable("disk full"));
      return results;
    };
  }

  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  void WaitForBatches(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  std::vector<size_t> sizes() {
    std::lock_guard lock(mu_);
    return sizes_;
  }
  void FailAll() { fail_all_ = true; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int started_ = 0;
  std::vector<size_t> sizes_;
  std::atomic<bool> fail_all_{false};
};

void WaitUntilQueued(const GroupCommit& queue, size_t n) {
  while (queue.queued() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(GroupCommitTest, EachCallerGetsItsOwnResult) {
  FakeBackend backend;
  GroupCommit queue(4, backend.Fn());
  constexpr int kWriters = 16;
  std::vector<Status> got(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      got[i] = queue.Write([i](WriteTxn&) -> Status {
        if (i % 3 == 0) return InvalidArgument("writer " + std::to_string(i));
        return Status::Ok();
      });
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kWriters; ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(got[i].code(), ErrorCode::kInvalidArgument) << i;
      EXPECT_EQ(got[i].message(), "writer " + std::to_string(i));
    } else {
      EXPECT_TRUE(got[i].ok()) << i << ": " << got[i].message();
    }
  }
}

TEST(GroupCommitTest, BatchesWhatQueuedUpToMaxBatch) {
  FakeBackend backend;
  GroupCommit queue(3, backend.Fn());
  backend.Hold();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  auto write = [&] {
    if (queue.Write([](WriteTxn&) { return Status::Ok(); }).ok()) ++ok;
  };
  threads.emplace_back(write);
  backend.WaitForBatches(1);  // the first write is in a batch of its own, held
  for (int i = 0; i < 7; ++i) threads.emplace_back(write);
  WaitUntilQueued(queue, 7);
  backend.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_THAT(backend.sizes(), ElementsAre(1, 3, 3, 1));
}

TEST(GroupCommitTest, StopCommitsWhatIsQueuedThenRefuses) {
  FakeBackend backend;
  auto queue = std::make_unique<GroupCommit>(2, backend.Fn());
  backend.Hold();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> ran{0};
  auto write = [&] {
    const Status s = queue->Write([&](WriteTxn&) {
      ++ran;
      return Status::Ok();
    });
    if (s.ok()) ++ok;
  };
  threads.emplace_back(write);
  backend.WaitForBatches(1);
  for (int i = 0; i < 4; ++i) threads.emplace_back(write);
  WaitUntilQueued(*queue, 4);
  std::thread stopper([&] { queue->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // Stop waits for the queue
  backend.Release();
  stopper.join();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(ran.load(), 5);
  EXPECT_EQ(queue->Write([](WriteTxn&) { return Status::Ok(); }).code(), ErrorCode::kUnavailable);
  queue.reset();  // destroying a stopped queue is fine
}

TEST(GroupCommitTest, DestructionDrainsTheQueue) {
  FakeBackend backend;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  {
    GroupCommit queue(8, backend.Fn());
    backend.Hold();
    auto write = [&] {
      if (queue.Write([](WriteTxn&) { return Status::Ok(); }).ok()) ++ok;
    };
    threads.emplace_back(write);
    backend.WaitForBatches(1);
    for (int i = 0; i < 3; ++i) threads.emplace_back(write);
    WaitUntilQueued(queue, 3);
    threads.emplace_back([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // ~GroupCommit is waiting
      backend.Release();
    });
  }  // ~GroupCommit commits the three queued writes before returning
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST(GroupCommitTest, TheBackendDecidesWhoSharesAFailure) {
  // A failing callback fails only itself when the backend keeps the others (savepoints)...
  {
    FakeBackend backend;
    GroupCommit queue(8, backend.Fn());
    backend.Hold();
    Status first, good, bad;
    std::thread t1([&] { first = queue.Write([](WriteTxn&) { return Status::Ok(); }); });
    backend.WaitForBatches(1);
    std::thread t2([&] { good = queue.Write([](WriteTxn&) { return Status::Ok(); }); });
    WaitUntilQueued(queue, 1);
    std::thread t3([&] { bad = queue.Write([](WriteTxn&) { return Conflict("taken"); }); });
    WaitUntilQueued(queue, 2);
    backend.Release();
    t1.join();
    t2.join();
    t3.join();
    EXPECT_TRUE(first.ok());
    EXPECT_TRUE(good.ok());
    EXPECT_EQ(bad.code(), ErrorCode::kConflict);
    EXPECT_THAT(backend.sizes(), ElementsAre(1, 2));
  }
  // ...and every caller of the batch gets the failure when the backend says the batch failed.
  {
    FakeBackend backend;
    backend.FailAll();
    GroupCommit queue(8, backend.Fn());
    EXPECT_EQ(queue.Write([](WriteTxn&) { return Status::Ok(); }).code(), ErrorCode::kUnavailable);
  }
}

TEST(GroupCommitTest, AResultCountThatDoesNotMatchFailsTheBatch) {
  GroupCommit queue(
      4, [](std::span<const GroupCommit::Callback* const>) { return std::vector<Status>{}; });
  EXPECT_EQ(queue.Write([](WriteTxn&) { return Status::Ok(); }).code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace sealpost::store::internal
