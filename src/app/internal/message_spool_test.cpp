// The SMTP spool (app/internal/message_spool.h): read back at any offset, every chunk
// authenticated in its place.
#include "app/internal/message_spool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "blob/blob_store.h"
#include "crypto/aead.h"
#include "platform/rng.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::app::internal {
namespace {

using ::testing::Not;

class MessageSpoolTest : public ::testing::Test {
 protected:
  // memory_bytes 0: on disk from the first byte, so that the tests can alter the file.
  std::unique_ptr<MessageSpool> Spooled(const std::string& bytes, uint64_t memory_bytes = 0) {
    auto spool = MessageSpool::Create(platform::DefaultFilesystem(), rng_, dir_.path(), 10u << 20,
                                      memory_bytes);
    EXPECT_THAT(spool.status(), IsOk());
    for (size_t at = 0; at < bytes.size(); at += 7000) {
      EXPECT_THAT((*spool)->Append(std::string_view(bytes).substr(at, 7000)), IsOk());
    }
    EXPECT_THAT((*spool)->Finish(), IsOk());
    return std::move(*spool);
  }

  std::string File() const { return std::filesystem::directory_iterator(dir_.path())->path(); }
  size_t Files() const {
    if (!std::filesystem::exists(dir_.path())) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_.path()),
                                             std::filesystem::directory_iterator()));
  }

  static std::string Message() {
    std::string bytes;
    for (int i = 0; bytes.size() < 3 * blob::kChunkBytes + 1234; ++i) {
      bytes += "line " + std::to_string(i) + "\r\n";
    }
    return bytes;
  }

  testutil::TempDir dir_;
  platform::SystemRng rng_;
};

std::string ReadAt(MessageSpool& spool, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  auto got = spool.ReadAt(offset, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), n));
  EXPECT_THAT(got.status(), IsOk());
  out.resize(got.ok() ? *got : 0);
  return out;
}

TEST_F(MessageSpoolTest, ReadsBackAtAnyOffset) {
  const std::string message = Message();
  auto spool = Spooled(message);
  EXPECT_EQ(spool->size(), message.size());
  // Within a chunk, across chunk ends, backwards, the short last chunk, the end.
  for (const uint64_t offset :
       {uint64_t{0}, uint64_t{blob::kChunkBytes - 10}, uint64_t{2 * blob::kChunkBytes + 5},
        uint64_t{17}, uint64_t{message.size() - 3}}) {
    EXPECT_EQ(ReadAt(*spool, offset, 100), message.substr(offset, 100)) << offset;
  }
  EXPECT_EQ(ReadAt(*spool, message.size(), 100), "");
  auto all = spool->ReadAll();
  ASSERT_THAT(all.status(), IsOk());
  EXPECT_EQ(*all, message);
  EXPECT_THAT(spool->Append("more"), Not(IsOk()));
}

TEST_F(MessageSpoolTest, ASmallMessageStaysInMemory) {
  const std::string message = Message().substr(0, 10240);
  {
    auto spool = Spooled(message, kSpoolMemoryBytes);
    EXPECT_FALSE(spool->on_disk());
    EXPECT_EQ(Files(), 0u);
    EXPECT_EQ(ReadAt(*spool, 17, 100), message.substr(17, 100));
    auto all = spool->ReadAll();
    ASSERT_THAT(all.status(), IsOk());
    EXPECT_EQ(*all, message);
  }
  // Four whole chunks, exactly the bound, still fit.
  const std::string four = Message().substr(0, 4 * blob::kChunkBytes);
  auto spool = Spooled(four, kSpoolMemoryBytes);
  EXPECT_FALSE(spool->on_disk());
  EXPECT_EQ(ReadAt(*spool, 3 * blob::kChunkBytes - 5, 10),
            four.substr(3 * blob::kChunkBytes - 5, 10));
  EXPECT_EQ(ReadAt(*spool, 5, 10), four.substr(5, 10));  // backwards
}

TEST_F(MessageSpoolTest, ALargerMessageSpillsToAFileThatGoesWithTheSpool) {
  const std::string message = Message();  // a little over three chunks
  {
    auto spool = Spooled(message, 2 * blob::kChunkBytes);
    EXPECT_TRUE(spool->on_disk());
    EXPECT_EQ(Files(), 1u);
    // Written in memory first, then moved: the file holds every frame, in order, sealed.
    std::ifstream in(File(), std::ios::binary);
    const std::string stored(std::istreambuf_iterator<char>(in), {});
    EXPECT_EQ(stored.size(), message.size() + 4 * (4 + crypto::kAeadOverhead));
    EXPECT_EQ(stored.find("line 1\r\n"), std::string::npos);
    for (const uint64_t offset : {uint64_t{0}, uint64_t{2 * blob::kChunkBytes + 5}, uint64_t{17},
                                  uint64_t{message.size() - 3}}) {
      EXPECT_EQ(ReadAt(*spool, offset, 100), message.substr(offset, 100)) << offset;
    }
    auto all = spool->ReadAll();
    ASSERT_THAT(all.status(), IsOk());
    EXPECT_EQ(*all, message);
  }
  EXPECT_EQ(Files(), 0u);
}

TEST_F(MessageSpoolTest, TheLimitHoldsInMemoryToo) {
  auto spool = MessageSpool::Create(platform::DefaultFilesystem(), rng_, dir_.path(), 1000,
                                    kSpoolMemoryBytes);
  ASSERT_THAT(spool.status(), IsOk());
  ASSERT_THAT((*spool)->Append(std::string(600, 'a')), IsOk());
  EXPECT_THAT((*spool)->Append(std::string(401, 'b')), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT((*spool)->Finish(), Not(IsOk()));
  EXPECT_EQ(Files(), 0u);
}

TEST_F(MessageSpoolTest, NothingIsReadBeforeFinish) {
  auto spool = MessageSpool::Create(platform::DefaultFilesystem(), rng_, dir_.path(), 1000);
  ASSERT_THAT(spool.status(), IsOk());
  ASSERT_THAT((*spool)->Append("To: a@b\r\n\r\nx"), IsOk());
  uint8_t byte = 0;
  EXPECT_THAT((*spool)->ReadAt(0, std::span<uint8_t>(&byte, 1)).status(), Not(IsOk()));
}

TEST_F(MessageSpoolTest, AlteredOrSwappedChunksDoNotAuthenticate) {
  const std::string message = Message();
  {
    auto spool = Spooled(message);
    std::fstream file(File(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(blob::kChunkBytes + 100));  // inside chunk 1
    file.put('\x55');
    file.close();
    EXPECT_EQ(ReadAt(*spool, 0, 10), message.substr(0, 10));  // chunk 0 is fine
    uint8_t byte = 0;
    EXPECT_THAT(spool->ReadAt(blob::kChunkBytes + 200, std::span<uint8_t>(&byte, 1)).status(),
                StatusIs(ErrorCode::kCorruption));
  }
  {
    auto spool = Spooled(message);
    // Chunks 0 and 1 swapped (equal-sized frames): each sits where its index says it is not.
    std::string bytes;
    {
      std::ifstream in(File(), std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const size_t full = 4 + blob::kChunkBytes + crypto::kAeadOverhead;
    std::string swapped = bytes.substr(full, full) + bytes.substr(0, full) + bytes.substr(2 * full);
    std::ofstream(File(), std::ios::binary | std::ios::trunc) << swapped;
    uint8_t byte = 0;
    EXPECT_THAT(spool->ReadAt(0, std::span<uint8_t>(&byte, 1)).status(),
                StatusIs(ErrorCode::kCorruption));
  }
}

}  // namespace
}  // namespace sealpost::app::internal
