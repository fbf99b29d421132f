// The local blob store on a failing disk (platform/testing/fault_injecting_filesystem.h): a full
// disk mid-write, a failed fsync, a failed rename or create. Each gives the caller a clear error,
// leaves no file under the blob's name and no temporary file, and the store goes on reading the
// blobs it has and writing new ones once the disk works again.
#include <gtest/gtest.h>

#include <filesystem>

#include "blob/blob_store.h"
#include "platform/testing/fault_injecting_filesystem.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::blob {
namespace {

using platform::testing::DiskFullCode;
using platform::testing::IoErrorCode;

const BlobId kKept = BlobId::FromTrusted("00000000000000000000000000000001");
const BlobId kFailed = BlobId::FromTrusted("0123456789abcdef0123456789abcdef");
const BlobId kNext = BlobId::FromTrusted("fedcba9876543210fedcba9876543210");

class BlobStoreFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenLocalBlobStore(fs_, dir_.path());
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
    ASSERT_THAT(Put(kKept, Pattern(300'000, 1)), IsOk());
  }

  std::string PathOf(const BlobId& id) const {
    return dir_.path() + "/" + id.str().substr(0, 2) + "/" + id.str();
  }

  static Bytes Pattern(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + i / 7 + seed);
    return b;
  }

  // Writes `data` in pieces of 10,000 bytes and commits; the first failure ends it (the writer
  // is then destroyed, as a caller that gives up does).
  Status Put(const BlobId& id, const Bytes& data) {
    SP_ASSIGN_OR_RETURN(auto w, store_->Create(id, key_));
    for (size_t off = 0; off < data.size(); off += 10'000) {
      SP_RETURN_IF_ERROR(
          w->Write(ByteView(data).subspan(off, std::min<size_t>(10'000, data.size() - off))));
    }
    return w->Commit().status();
  }

  Result<Bytes> Get(const BlobId& id) {
    SP_ASSIGN_OR_RETURN(auto r, store_->Open(id, key_));
    Bytes out;
    uint8_t buf[10000];
    for (;;) {
      SP_ASSIGN_OR_RETURN(const size_t n, r->Read(buf));
      if (n == 0) return out;
      out.insert(out.end(), buf, buf + n);
    }
  }

  // Nothing of the failed blob: not under its name, not as a temporary file.
  void ExpectNothingOf(const BlobId& id) {
    EXPECT_FALSE(std::filesystem::exists(PathOf(id))) << PathOf(id);
    EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/tmp"));
    EXPECT_THAT(Get(id).status(), StatusIs(ErrorCode::kNotFound));
  }

  // The blob kept before the failure reads back, and a new one can be written and read.
  void ExpectTheStoreStillWorks() {
    auto kept = Get(kKept);
    ASSERT_THAT(kept.status(), IsOk());
    EXPECT_EQ(*kept, Pattern(300'000, 1));
    const Bytes next = Pattern(200'000, 2);
    ASSERT_THAT(Put(kNext, next), IsOk());
    auto back = Get(kNext);
    ASSERT_THAT(back.status(), IsOk());
    EXPECT_EQ(*back, next);
    EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/tmp"));
  }

  testutil::TempDir dir_;
  platform::testing::FaultInjectingFilesystem fs_{platform::DefaultFilesystem()};
  std::unique_ptr<BlobStore> store_;
  crypto::BlobKey key_ = crypto::BlobKey::Generate();
};

TEST_F(BlobStoreFaultsTest, FullDiskMidWrite) {
  fs_.FailAppendsAfter(150'000);  // about two chunks of a 1 MB blob
  EXPECT_THAT(Put(kFailed, Pattern(1'000'000, 3)), StatusIs(DiskFullCode()));
  EXPECT_GE(fs_.injected(), 1);
  ExpectNothingOf(kFailed);
  // The blobs already there still read while the disk is full.
  EXPECT_THAT(Get(kKept).status(), IsOk());
  fs_.StopFailing();
  ExpectTheStoreStillWorks();
}

// The failed Write ends the writer at once: its temporary file is gone before the caller aborts,
// and a Commit after it, once the disk has room again, publishes nothing (the blob would miss
// the chunk that failed).
TEST_F(BlobStoreFaultsTest, AFailedWriteEndsTheWriter) {
  auto w = store_->Create(kFailed, key_);
  ASSERT_THAT(w.status(), IsOk());
  fs_.FailAppendsAfter(100'000);
  const Bytes data = Pattern(500'000, 4);
  Status failed = Status::Ok();
  for (size_t off = 0; off < data.size() && failed.ok(); off += 10'000) {
    failed = (*w)->Write(ByteView(data).subspan(off, 10'000));
  }
  EXPECT_THAT(failed, StatusIs(DiskFullCode()));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/tmp"));
  fs_.StopFailing();
  EXPECT_FALSE((*w)->Write(ByteView(data).first(10)).ok());
  EXPECT_FALSE((*w)->Commit().ok());
  ExpectNothingOf(kFailed);
  (*w)->Abort();
  ExpectTheStoreStillWorks();
}

// The disk fills exactly at the end: the final chunk (written by Commit) is what fails.
TEST_F(BlobStoreFaultsTest, FullDiskAtCommit) {
  fs_.FailAppendsAfter(0);
  auto w = store_->Create(kFailed, key_);
  // Creating writes the header: the disk may already refuse that.
  if (w.ok()) {
    EXPECT_THAT((*w)->Write(Pattern(1000, 5)), IsOk());  // held until Commit seals it
    EXPECT_THAT((*w)->Commit().status(), StatusIs(DiskFullCode()));
  } else {
    EXPECT_THAT(w.status(), StatusIs(DiskFullCode()));
  }
  ExpectNothingOf(kFailed);
  fs_.StopFailing();
  ExpectTheStoreStillWorks();
}

TEST_F(BlobStoreFaultsTest, FailedFsyncAtCommit) {
  fs_.FailSyncs(1);
  EXPECT_THAT(Put(kFailed, Pattern(400'000, 6)), StatusIs(IoErrorCode()));
  EXPECT_EQ(fs_.injected(), 1);
  ExpectNothingOf(kFailed);
  ExpectTheStoreStillWorks();
}

TEST_F(BlobStoreFaultsTest, FailedRename) {
  fs_.FailRenames(1);
  EXPECT_THAT(Put(kFailed, Pattern(100'000, 7)), StatusIs(IoErrorCode()));
  ExpectNothingOf(kFailed);
  ExpectTheStoreStillWorks();
}

// The rename happened but its directory fsync failed: the caller was told the blob is not
// stored, so it must not stay under its name (no one would ever refer to it or remove it).
TEST_F(BlobStoreFaultsTest, FailedFsyncOfTheRenamedDirectory) {
  fs_.FailRenamesAfterRenaming(1);
  EXPECT_THAT(Put(kFailed, Pattern(100'000, 8)), StatusIs(IoErrorCode()));
  EXPECT_EQ(fs_.injected(), 1);
  ExpectNothingOf(kFailed);
  ExpectTheStoreStillWorks();
}

TEST_F(BlobStoreFaultsTest, FailedCreate) {
  fs_.FailCreates(1);
  EXPECT_THAT(store_->Create(kFailed, key_).status(), StatusIs(DiskFullCode()));
  ExpectNothingOf(kFailed);
  ExpectTheStoreStillWorks();
}

}  // namespace
}  // namespace sealpost::blob
