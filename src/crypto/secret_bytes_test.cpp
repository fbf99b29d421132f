#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include <thread>
#include <utility>
#include <vector>

#include "core/encoding.h"

namespace sealpost::crypto {
namespace {

bool AllZero(ByteView v) {
  for (uint8_t b : v) {
    if (b != 0) return false;
  }
  return true;
}

TEST(SecretBytesTest, NewBufferIsZeroFilled) {
  SecretBytes s(100);
  EXPECT_EQ(s.size(), 100u);
  EXPECT_FALSE(s.empty());
  ASSERT_NE(s.data(), nullptr);
  EXPECT_TRUE(AllZero(s.view()));
  EXPECT_EQ(s.span().size(), 100u);
}

TEST(SecretBytesTest, EmptyBufferWorks) {
  SecretBytes s(0);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.view().empty());
  EXPECT_TRUE(s.span().empty());
  EXPECT_EQ(s.AsStringView(), "");
  SecretBytes copy = SecretBytes::CopyOf({});
  EXPECT_TRUE(copy.empty());
}

TEST(SecretBytesTest, CopyOfCopiesAndIsWritable) {
  SecretBytes s = SecretBytes::CopyOf(AsBytes("secret text"));
  EXPECT_EQ(s.AsStringView(), "secret text");
  s.span()[0] = 'S';
  s.data()[1] = 'E';
  EXPECT_EQ(s.AsStringView(), "SEcret text");
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyOf(AsBytes("abc"));
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state.
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.AsStringView(), "abc");

  SecretBytes c(5);
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.AsStringView(), "abc");

  c = SecretBytes(0);
  EXPECT_TRUE(c.empty());
}

TEST(SecretBytesTest, ConstantTimeEquals) {
  const Bytes a = {1, 2, 3, 4};
  Bytes b = a;
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  b[3] ^= 0x01;
  EXPECT_FALSE(ConstantTimeEquals(a, b));
  b[3] ^= 0x01;
  b[0] ^= 0x80;
  EXPECT_FALSE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, ByteView(a).first(3)));
  EXPECT_FALSE(ConstantTimeEquals({}, a));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
  SecretBytes s = SecretBytes::CopyOf(a);
  EXPECT_TRUE(ConstantTimeEquals(s.view(), a));
}

TEST(SecretBytesTest, InitializationIsSafeFromManyThreads) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([] {
      EnsureInitialized();
      SecretBytes s(32);
      EXPECT_TRUE(AllZero(s.view()));
    });
  }
  for (auto& t : threads) t.join();
}

TEST(SecretBytesTest, ReusedSmallAllocationsStartZeroed) {
  const uint8_t* first = nullptr;
  {
    SecretBytes a(32);
    std::fill(a.span().begin(), a.span().end(), 0xAA);
    first = a.data();
  }
  SecretBytes b(32);
  // With the pool the same slot comes back (LIFO); it must hold no trace of the old secret.
#if defined(__SANITIZE_ADDRESS__)
  (void)first;  // sanitizer builds do not pool
#else
  EXPECT_EQ(b.data(), first);
#endif
  for (uint8_t byte : b.view()) EXPECT_EQ(byte, 0);
}

TEST(SecretBytesTest, ManyLiveSmallSecretsOutgrowThePool) {
  // More live secrets than pool slots: the rest come from sodium_malloc; all stay usable.
  std::vector<SecretBytes> live;
  for (int i = 0; i < 9000; ++i) {
    live.emplace_back(64);
    live.back().data()[63] = static_cast<uint8_t>(i);
  }
  for (int i = 0; i < 9000; ++i) EXPECT_EQ(live[i].data()[63], static_cast<uint8_t>(i));
  live.clear();
  SecretBytes after(16);
  for (uint8_t byte : after.view()) EXPECT_EQ(byte, 0);
}

TEST(SecretBytesTest, ReusedMediumAllocationsStartZeroed) {
  // An encoded message summary's size: from the pool of larger slots, wiped between uses.
  const uint8_t* first = nullptr;
  {
    SecretBytes a(1500);
    std::fill(a.span().begin(), a.span().end(), 0xAA);
    first = a.data();
  }
  SecretBytes b(4096);
#if defined(__SANITIZE_ADDRESS__)
  (void)first;  // sanitizer builds do not pool
#else
  EXPECT_EQ(b.data(), first);
#endif
  ASSERT_EQ(b.size(), 4096u);
  for (uint8_t byte : b.view()) EXPECT_EQ(byte, 0);
  SecretBytes large(4097);  // past the largest slot: its own sodium_malloc allocation
  EXPECT_NE(large.data(), first);
  for (uint8_t byte : large.view()) EXPECT_EQ(byte, 0);
}

TEST(SecretBytesTest, ManyLiveMediumSecretsOutgrowThePool) {
  std::vector<SecretBytes> live;
  for (int i = 0; i < 300; ++i) {
    live.emplace_back(1000);
    live.back().data()[999] = static_cast<uint8_t>(i);
  }
  for (int i = 0; i < 300; ++i) EXPECT_EQ(live[i].data()[999], static_cast<uint8_t>(i));
  live.clear();
  SecretBytes after(2000);
  for (uint8_t byte : after.view()) EXPECT_EQ(byte, 0);
}

}  // namespace
}  // namespace sealpost::crypto
