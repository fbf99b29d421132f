#include "core/connection_registry.h"

#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

namespace sealpost {
namespace {

using namespace std::chrono_literals;

struct FakeConnection {
  int n = 0;
};

TEST(ConnectionRegistryTest, OpenListsOnlyConnectionsStillAlive) {
  ConnectionRegistry<FakeConnection> registry;
  auto first = std::make_shared<FakeConnection>(FakeConnection{1});
  auto second = std::make_shared<FakeConnection>(FakeConnection{2});
  const uint64_t a = registry.Add(first);
  const uint64_t b = registry.Add(second);
  EXPECT_NE(a, b);
  EXPECT_EQ(registry.size(), 2u);
  // Registered, but already gone (its coroutine has not counted itself out yet).
  second.reset();
  const auto open = registry.Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0]->n, 1);
  // The registry holds no strong reference.
  EXPECT_EQ(first.use_count(), 2);  // `first` and the one in `open`
}

TEST(ConnectionRegistryTest, WaitUntilEmptyReturnsWhenTheLastOneLeaves) {
  ConnectionRegistry<FakeConnection> registry;
  EXPECT_TRUE(registry.WaitUntilEmpty(0ms));
  auto connection = std::make_shared<FakeConnection>();
  const uint64_t a = registry.Add(connection);
  const uint64_t b = registry.Add(connection);
  EXPECT_FALSE(registry.WaitUntilEmpty(10ms));
  registry.Remove(a);
  EXPECT_FALSE(registry.WaitUntilEmpty(10ms));
  std::thread leaving([&] {
    std::this_thread::sleep_for(50ms);
    registry.Remove(b);
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(registry.WaitUntilEmpty(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 9s);  // woken, not timed out
  leaving.join();
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_TRUE(registry.Open().empty());
}

}  // namespace
}  // namespace sealpost
