#include "core/background_lane.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace sealpost {
namespace {

TEST(BackgroundLaneTest, RunsJobsOneAfterAnotherInOrder) {
  BackgroundLane lane;
  lane.Wait();            // nothing started: returns at once
  std::vector<int> seen;  // only the lane touches it between Start and Wait
  for (int i = 0; i < 100; ++i) lane.Start([&seen, i] { seen.push_back(i); });
  lane.Wait();
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(BackgroundLaneTest, WaitReturnsOnlyOnceTheJobHasFinished) {
  BackgroundLane lane;
  std::atomic<bool> done{false};
  lane.Start([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = true;
  });
  lane.Wait();
  EXPECT_TRUE(done.load());
}

TEST(BackgroundLaneTest, DestructionWaitsForTheJobInFlight) {
  std::atomic<bool> done{false};
  {
    BackgroundLane lane;
    lane.Start([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      done = true;
    });
  }
  EXPECT_TRUE(done.load());
}

}  // namespace
}  // namespace sealpost
