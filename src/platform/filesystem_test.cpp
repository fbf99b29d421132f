#include "platform/filesystem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <vector>

#include "core/encoding.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::platform {
namespace {

TEST(FilesystemTest, AtomicWriteAndRead) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  const std::string path = dir.path() + "/f";
  ASSERT_THAT(WriteFileAtomically(fs, path, AsBytes("hello")), IsOk());
  EXPECT_FALSE(fs.Exists(path + ".tmp"));
  auto text = ReadSmallFile(fs, path, 100);
  ASSERT_THAT(text.status(), IsOk());
  EXPECT_EQ(*text, "hello");
  EXPECT_THAT(ReadSmallFile(fs, path, 3).status(), StatusIs(ErrorCode::kResourceExhausted));
  EXPECT_THAT(ReadSmallFile(fs, path + "x", 3).status(), StatusIs(ErrorCode::kNotFound));
}

// Past the write-behind threshold (8 MiB) the file starts its own write-back while it grows;
// the bytes and the length must come out exactly as appended.
TEST(FilesystemTest, LargeFileWithWriteBehindReadsBackIntact) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  const std::string path = dir.path() + "/large";
  auto file = fs.CreateWritable(path);
  ASSERT_THAT(file.status(), IsOk());
  std::vector<uint8_t> piece(1 << 20);
  constexpr int kPieces = 20;
  for (int i = 0; i < kPieces; ++i) {
    std::fill(piece.begin(), piece.end(), static_cast<uint8_t>(i));
    ASSERT_THAT((*file)->Append(piece), IsOk());
  }
  ASSERT_THAT((*file)->Sync(), IsOk());
  ASSERT_THAT((*file)->Close(), IsOk());

  auto in = fs.OpenReadable(path);
  ASSERT_THAT(in.status(), IsOk());
  std::vector<uint8_t> got(piece.size());
  for (int i = 0; i < kPieces; ++i) {
    size_t filled = 0;
    while (filled < got.size()) {
      auto n = (*in)->Read(std::span(got).subspan(filled));
      ASSERT_THAT(n.status(), IsOk());
      ASSERT_GT(*n, 0u) << "file ends early in piece " << i;
      filled += *n;
    }
    EXPECT_EQ(std::count(got.begin(), got.end(), static_cast<uint8_t>(i)),
              static_cast<ptrdiff_t>(got.size()))
        << "piece " << i;
  }
  uint8_t extra = 0;
  auto end = (*in)->Read(std::span(&extra, 1));
  ASSERT_THAT(end.status(), IsOk());
  EXPECT_EQ(*end, 0u);
}

}  // namespace
}  // namespace sealpost::platform
