// The fault injector itself: each fault happens where and as often as asked, with the code the
// real filesystem gives, and everything else reaches the real filesystem unchanged.
#include "platform/testing/fault_injecting_filesystem.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "core/encoding.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::platform::testing {
namespace {

class FaultInjectingFilesystemTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  testutil::TempDir dir_;
  FaultInjectingFilesystem fs_{DefaultFilesystem()};
};

TEST_F(FaultInjectingFilesystemTest, CodesAreThoseOfTheRealFilesystem) {
  EXPECT_EQ(DiskFullCode(), ErrnoStatus(ENOSPC, "write", "f").code());
  EXPECT_EQ(DiskFullCode(), ErrnoStatus(EDQUOT, "write", "f").code());
  EXPECT_EQ(IoErrorCode(), ErrnoStatus(EIO, "fdatasync", "f").code());
  EXPECT_NE(DiskFullCode(), IoErrorCode());
  EXPECT_EQ(ErrnoStatus(ENOENT, "open", "f").code(), ErrorCode::kNotFound);
}

TEST_F(FaultInjectingFilesystemTest, PassesThroughWhenToldNothing) {
  ASSERT_THAT(WriteFileAtomically(fs_, Path("f"), AsBytes("hello")), IsOk());
  auto text = ReadSmallFile(fs_, Path("f"), 100);
  ASSERT_THAT(text.status(), IsOk());
  EXPECT_EQ(*text, "hello");
  EXPECT_EQ(fs_.injected(), 0);
}

// A full disk: the budget is shared by every file, the Append that crosses it writes what fits
// (a short write) and fails, and so does every later one, until the disk has room again.
TEST_F(FaultInjectingFilesystemTest, AppendsFailOnceTheBudgetIsSpent) {
  fs_.FailAppendsAfter(10);
  auto a = fs_.CreateWritable(Path("a"));
  auto b = fs_.CreateUncached(Path("b"));
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_THAT((*a)->Append(AsBytes("123456")), IsOk());
  const Status full = (*b)->Append(AsBytes("abcdefgh"));
  EXPECT_THAT(full, StatusIs(DiskFullCode()));
  EXPECT_NE(full.message().find(Path("b")), std::string::npos) << full.ToString();
  EXPECT_THAT((*a)->Append(AsBytes("x")), StatusIs(DiskFullCode()));
  EXPECT_EQ(fs_.injected(), 2);
  for (auto* file : {&*a, &*b}) {
    ASSERT_THAT((*file)->Sync(), IsOk());
    ASSERT_THAT((*file)->Close(), IsOk());
  }
  EXPECT_EQ(*ReadSmallFile(fs_, Path("a"), 100), "123456");
  EXPECT_EQ(*ReadSmallFile(fs_, Path("b"), 100), "abcd");

  fs_.StopFailing();
  auto c = fs_.CreateWritable(Path("c"));
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_THAT((*c)->Append(std::vector<uint8_t>(100'000)), IsOk());
  EXPECT_EQ(fs_.injected(), 2);
}

TEST_F(FaultInjectingFilesystemTest, SyncsFailAsOftenAsAsked) {
  fs_.FailSyncs(1);
  auto f = fs_.CreateWritable(Path("f"));
  ASSERT_THAT(f.status(), IsOk());
  ASSERT_THAT((*f)->Append(AsBytes("data")), IsOk());
  EXPECT_THAT((*f)->Sync(), StatusIs(IoErrorCode()));
  EXPECT_THAT((*f)->Sync(), IsOk());
  EXPECT_EQ(fs_.injected(), 1);

  // WriteFileAtomically removes its temporary file when the fsync fails.
  fs_.FailSyncs();
  EXPECT_THAT(WriteFileAtomically(fs_, Path("g"), AsBytes("x")), StatusIs(IoErrorCode()));
  EXPECT_THAT(WriteFileAtomically(fs_, Path("g"), AsBytes("x")), StatusIs(IoErrorCode()));
  EXPECT_FALSE(fs_.Exists(Path("g")));
  EXPECT_FALSE(fs_.Exists(Path("g.tmp")));
  EXPECT_EQ(fs_.injected(), 3);
}

TEST_F(FaultInjectingFilesystemTest, RenamesFailBeforeOrAfterRenaming) {
  ASSERT_THAT(WriteFileAtomically(fs_, Path("from"), AsBytes("x")), IsOk());
  fs_.FailRenames(1);
  EXPECT_THAT(fs_.Rename(Path("from"), Path("to")), StatusIs(IoErrorCode()));
  EXPECT_TRUE(fs_.Exists(Path("from")));
  EXPECT_FALSE(fs_.Exists(Path("to")));

  fs_.FailRenamesAfterRenaming(1);
  EXPECT_THAT(fs_.Rename(Path("from"), Path("to")), StatusIs(IoErrorCode()));
  EXPECT_FALSE(fs_.Exists(Path("from")));
  EXPECT_TRUE(fs_.Exists(Path("to")));

  EXPECT_THAT(fs_.Rename(Path("to"), Path("back")), IsOk());
  EXPECT_EQ(fs_.injected(), 2);
}

TEST_F(FaultInjectingFilesystemTest, CreatesFailAndCreateNothing) {
  fs_.FailCreates(2);
  EXPECT_THAT(fs_.CreateWritable(Path("a")).status(), StatusIs(DiskFullCode()));
  EXPECT_THAT(fs_.CreateUncached(Path("b")).status(), StatusIs(DiskFullCode()));
  EXPECT_FALSE(fs_.Exists(Path("a")));
  EXPECT_FALSE(fs_.Exists(Path("b")));
  EXPECT_THAT(fs_.CreateWritable(Path("c")).status(), IsOk());
  EXPECT_EQ(fs_.injected(), 2);
}

}  // namespace
}  // namespace sealpost::platform::testing
