// Uploads on a failing disk or database: a full disk mid-upload, a failed fsync when it is
// finished, a failed database write of its record. Each fails the upload with a clear error,
// keeps no upload record and no blob file (nor a temporary one), and the next upload succeeds
// and can be attached to a message.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/app_test_fixture.h"
#include "app/mailbox.h"

namespace sealpost::app {
namespace {

using platform::testing::DiskFullCode;
using platform::testing::IoErrorCode;

class UploadFaultsTest : public AppTest {
 protected:
  void SetUp() override {
    Enrol("bob@example.org");
    alice_ = LoggedIn("alice@example.org", Enrol("alice@example.org"));
  }

  static Bytes Pattern(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + i / 251);
    return b;
  }

  // Uploads `data` in pieces of 64 KiB, as the HTTP layer hands them over, and finishes. The
  // first failure ends it; the session is then destroyed, as the HTTP layer does.
  Result<UploadResult> Upload(const Bytes& data) {
    SP_ASSIGN_OR_RETURN(auto session, mailbox_.BeginUpload(*alice_, data.size()));
    for (size_t off = 0; off < data.size(); off += 65536) {
      SP_RETURN_IF_ERROR(
          session->Write(ByteView(data).subspan(off, std::min<size_t>(65536, data.size() - off))));
    }
    return session->Finish();
  }

  size_t UploadRecords() {
    auto all = store_->messages().ListUploadsCreatedBefore(clock_.Now() + 24h, 1000);
    EXPECT_THAT(all.status(), IsOk());
    return all.ok() ? all->size() : 0;
  }

  // Nothing of the failed upload is kept: no record, no event, no blob, no temporary file.
  void ExpectNothingKept() {
    EXPECT_EQ(UploadRecords(), 0u);
    EXPECT_FALSE(AuditHas("upload.create"));
    EXPECT_EQ(BlobFiles(), 0u);
  }

  // The next upload succeeds, reads back through a sent message's attachment, and is all that
  // is stored.
  void ExpectTheNextUploadWorks() {
    const Bytes data = Pattern(300'000);
    auto next = Upload(data);
    ASSERT_THAT(next.status(), IsOk());
    EXPECT_EQ(next->size, data.size());
    EXPECT_EQ(UploadRecords(), 1u);
    EXPECT_EQ(BlobFiles(), 1u);
    auto sent = mailbox_.Send(*alice_,
                              {{"bob@example.org"}, "s", "t", "", {{next->id.str(), "a.bin", ""}}});
    ASSERT_THAT(sent.status(), IsOk());
    auto download = mailbox_.OpenAttachment(*alice_, sent->str(), 0);
    ASSERT_THAT(download.status(), IsOk());
    Bytes back;
    uint8_t buf[65536];
    for (;;) {
      auto n = download->reader->Read(buf);
      ASSERT_THAT(n.status(), IsOk());
      if (*n == 0) break;
      back.insert(back.end(), buf, buf + *n);
    }
    EXPECT_EQ(back, data);
  }

  Mailbox mailbox_{services_};
  std::optional<AuthContext> alice_;
};

TEST_F(UploadFaultsTest, FullDiskMidUpload) {
  fs_faults_.FailAppendsAfter(500'000);
  auto session = mailbox_.BeginUpload(*alice_, 2'000'000);
  ASSERT_THAT(session.status(), IsOk());
  const Bytes data = Pattern(2'000'000);
  Status written = Status::Ok();
  size_t off = 0;
  for (; off < data.size() && written.ok(); off += 65536) {
    written =
        (*session)->Write(ByteView(data).subspan(off, std::min<size_t>(65536, data.size() - off)));
  }
  EXPECT_THAT(written, StatusIs(DiskFullCode()));
  EXPECT_LT(off, data.size()) << "the upload went on past a full disk";
  EXPECT_GE(fs_faults_.injected(), 1);
  // The failed Write already let go of the blob; Finish cannot make a record of it.
  EXPECT_EQ(BlobFiles(), 0u);
  EXPECT_FALSE((*session)->Finish().ok());
  session->reset();
  ExpectNothingKept();
  fs_faults_.StopFailing();
  ExpectTheNextUploadWorks();
}

TEST_F(UploadFaultsTest, FailedFsyncWhenTheUploadFinishes) {
  fs_faults_.FailSyncs(1);
  EXPECT_THAT(Upload(Pattern(1'000'000)).status(), StatusIs(IoErrorCode()));
  EXPECT_EQ(fs_faults_.injected(), 1);
  ExpectNothingKept();
  ExpectTheNextUploadWorks();
}

TEST_F(UploadFaultsTest, FailedRenameWhenTheUploadFinishes) {
  fs_faults_.FailRenamesAfterRenaming(1);
  EXPECT_THAT(Upload(Pattern(100'000)).status(), StatusIs(IoErrorCode()));
  EXPECT_EQ(fs_faults_.injected(), 1);
  ExpectNothingKept();
  ExpectTheNextUploadWorks();
}

// The blob is stored, but the database cannot take the upload's record: the blob goes too.
TEST_F(UploadFaultsTest, FailedDatabaseWriteOfTheRecord) {
  faults_.FailWrites(Internal("sqlite: database or disk is full"), 1);
  EXPECT_THAT(Upload(Pattern(300'000)).status(), StatusIs(ErrorCode::kInternal));
  EXPECT_EQ(faults_.injected(), 1);
  ExpectNothingKept();
  ExpectTheNextUploadWorks();
}

}  // namespace
}  // namespace sealpost::app
