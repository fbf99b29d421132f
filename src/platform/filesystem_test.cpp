#include "platform/filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <span>
#include <vector>

#include "core/encoding.h"
#include "testing/file_size_limit.h"
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
  EXPECT_THAT(ReadSmallFile(fs, path, 3).status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(ReadSmallFile(fs, path + "x", 3).status(), StatusIs(ErrorCode::kNotFound));
}

// Sets the process umask for one scope (tests in one binary run one at a time).
class ScopedUmask final {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Whatever the umask, what the filesystem creates is its owner's only: directories 0700 (the
// intermediate ones too), files 0600 (a file that existed with a wider mode too).
TEST(FilesystemTest, CreatesOwnerOnlyFilesAndDirectoriesUnderAPermissiveUmask) {
  const ScopedUmask umask(022);
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  ASSERT_THAT(fs.CreateDirectories(dir.path() + "/a/b/c"), IsOk());
  EXPECT_EQ(ModeOf(dir.path() + "/a"), 0700u);
  EXPECT_EQ(ModeOf(dir.path() + "/a/b"), 0700u);
  EXPECT_EQ(ModeOf(dir.path() + "/a/b/c"), 0700u);
  ASSERT_EQ(::mkdir((dir.path() + "/open").c_str(), 0755), 0);
  ASSERT_THAT(fs.CreateDirectories(dir.path() + "/open/"), IsOk());
  EXPECT_EQ(ModeOf(dir.path() + "/open"), 0700u);

  ASSERT_THAT(WriteFileAtomically(fs, dir.path() + "/a/key", AsBytes("secret")), IsOk());
  EXPECT_EQ(ModeOf(dir.path() + "/a/key"), 0600u);
  const std::string wide = dir.path() + "/a/wide";
  const int fd = ::open(wide.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_EQ(ModeOf(wide), 0644u);
  for (const bool uncached : {false, true}) {
    auto file = uncached ? fs.CreateUncached(wide) : fs.CreateWritable(wide);
    ASSERT_THAT(file.status(), IsOk());
    ASSERT_THAT((*file)->Close(), IsOk());
    EXPECT_EQ(ModeOf(wide), 0600u);
    ASSERT_EQ(::chmod(wide.c_str(), 0644), 0);
  }
  EXPECT_THAT(fs.CreateDirectories(dir.path() + "/a/key/d").code(), ErrorCode::kUnavailable);
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

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + i / 4093 + seed);
  return b;
}

// Uncached files (O_DIRECT where the filesystem allows, as the data directory's usually does):
// every length around the 4 KiB alignment, the 16 KiB first write buffer as it grows, and the
// 1 MiB buffer, appended in odd pieces, comes back exactly, through the uncached reader (its
// buffer sized to the file below 1 MiB) in odd buffer sizes and through the ordinary one.
TEST(FilesystemTest, UncachedFilesReadBackExactlyAtEveryLength) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  const size_t kMiB = 1 << 20;
  const size_t sizes[] = {0,           1,        4095,  4096,     4097,
                          10240,       16383,    16384, 16385,    2 * 65553 + 7,
                          kMiB - 4096, kMiB - 1, kMiB,  kMiB + 1, 3 * kMiB + 12345};
  for (const size_t size : sizes) {
    const std::string path = dir.path() + "/u" + std::to_string(size);
    const std::vector<uint8_t> data = Pattern(size, static_cast<uint8_t>(size));
    auto file = fs.CreateUncached(path);
    ASSERT_THAT(file.status(), IsOk());
    for (size_t at = 0; at < size;) {
      const size_t n = std::min<size_t>(size - at, 65553);  // a blob frame's size: unaligned
      ASSERT_THAT((*file)->Append(std::span(data).subspan(at, n)), IsOk());
      at += n;
    }
    ASSERT_THAT((*file)->Sync(), IsOk());
    ASSERT_THAT((*file)->Close(), IsOk());
    ASSERT_EQ(*fs.FileSize(path), size);

    for (const size_t buffer : {size_t{1}, size_t{4}, size_t{65557}, 2 * kMiB}) {
      if (buffer < 4 && size > 5000) continue;  // byte by byte over megabytes says nothing more
      for (const bool uncached : {true, false}) {
        auto in = uncached ? fs.OpenUncached(path) : fs.OpenReadable(path);
        ASSERT_THAT(in.status(), IsOk());
        std::vector<uint8_t> got;
        std::vector<uint8_t> piece(buffer);
        for (;;) {
          auto n = (*in)->Read(piece);
          ASSERT_THAT(n.status(), IsOk());
          if (*n == 0) break;
          got.insert(got.end(), piece.begin(), piece.begin() + static_cast<ptrdiff_t>(*n));
        }
        EXPECT_TRUE(got == data) << "size " << size << ", buffer " << buffer
                                 << (uncached ? ", uncached" : ", cached");
      }
    }
  }
}

// StartSync then Sync (what platform/sync_batcher.h does), once or twice, on both kinds of file,
// and a rename published by RenameUnsynced + SyncDirectory: the bytes arrive whole.
TEST(FilesystemTest, StartSyncThenSyncAndUnsyncedRenameKeepEveryByte) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  for (const size_t size : {size_t{0}, size_t{10240}, size_t{4096}, size_t{(1 << 20) + 4097}}) {
    for (const bool uncached : {true, false}) {
      const std::string name = "/s" + std::to_string(size) + (uncached ? "u" : "c");
      const std::vector<uint8_t> data = Pattern(size, static_cast<uint8_t>(size + 1));
      auto file = uncached ? fs.CreateUncached(dir.path() + name + ".part")
                           : fs.CreateWritable(dir.path() + name + ".part");
      ASSERT_THAT(file.status(), IsOk());
      ASSERT_THAT((*file)->Append(data), IsOk());
      ASSERT_THAT((*file)->StartSync(), IsOk());
      ASSERT_THAT((*file)->StartSync(), IsOk());
      ASSERT_THAT((*file)->Sync(), IsOk());
      ASSERT_THAT((*file)->Close(), IsOk());
      ASSERT_THAT(fs.RenameUnsynced(dir.path() + name + ".part", dir.path() + name), IsOk());
      ASSERT_THAT(fs.SyncDirectory(dir.path()), IsOk());
      EXPECT_FALSE(fs.Exists(dir.path() + name + ".part"));
      auto in = fs.OpenReadable(dir.path() + name);
      ASSERT_THAT(in.status(), IsOk());
      std::vector<uint8_t> got(size + 1);
      size_t at = 0;
      for (;;) {
        auto n = (*in)->Read(std::span(got).subspan(at));
        ASSERT_THAT(n.status(), IsOk());
        if (*n == 0) break;
        at += *n;
      }
      got.resize(at);
      EXPECT_TRUE(got == data) << name;
    }
  }
  EXPECT_THAT(fs.SyncDirectory(dir.path() + "/missing"), StatusIs(ErrorCode::kNotFound));
}

// A reader closed while it reads ahead (the caller stopped after the first bytes of a large
// file, as a cut-off download does) waits for that read, then closes.
TEST(FilesystemTest, UncachedReaderClosedWhileReadingAhead) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  const std::string path = dir.path() + "/big";
  const std::vector<uint8_t> data = Pattern(5 << 20, 3);
  ASSERT_THAT(WriteFileAtomically(fs, path, data), IsOk());
  for (int i = 0; i < 20; ++i) {
    auto in = fs.OpenUncached(path);
    ASSERT_THAT(in.status(), IsOk());
    uint8_t first[10];
    auto n = (*in)->Read(first);
    ASSERT_THAT(n.status(), IsOk());
    ASSERT_EQ(*n, 10u);
    EXPECT_TRUE(std::equal(first, first + 10, data.begin()));
  }
}

// Full buffers are written in the background while the next one fills: a write that fails
// there (here the file-size limit, as a full disk would) is reported by a later Append or by
// Sync, never lost, and a writer abandoned meanwhile waits for its write before closing.
TEST(FilesystemTest, UncachedWriteFailingInTheBackgroundIsReported) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  const std::vector<uint8_t> data = Pattern(5 << 20, 9);
  const testutil::FileSizeLimit limit(3 << 19);  // 1.5 MiB: the second buffer's write fails
  ASSERT_TRUE(limit.ok());

  auto file = fs.CreateUncached(dir.path() + "/limited");
  ASSERT_THAT(file.status(), IsOk());
  Status failed = Status::Ok();
  for (size_t at = 0; at < data.size() && failed.ok(); at += 65553) {
    failed =
        (*file)->Append(std::span(data).subspan(at, std::min<size_t>(65553, data.size() - at)));
  }
  if (failed.ok()) failed = (*file)->Sync();
  EXPECT_THAT(failed, StatusIs(ErrorCode::kStorageFull));
  EXPECT_NE(failed.message().find("File too large"), std::string::npos) << failed.ToString();

  // Abandoned with a write in flight: the destructor waits for it.
  auto abandoned = fs.CreateUncached(dir.path() + "/abandoned");
  ASSERT_THAT(abandoned.status(), IsOk());
  ASSERT_THAT((*abandoned)->Append(std::span(data).first(1 << 20)), IsOk());
  abandoned->reset();
}

TEST(FilesystemTest, UncachedOpenOfAMissingFileIsNotFound) {
  testutil::TempDir dir;
  EXPECT_THAT(DefaultFilesystem().OpenUncached(dir.path() + "/none").status(),
              StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::platform
