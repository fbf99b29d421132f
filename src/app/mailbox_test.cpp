// Mailbox use cases in-process: what the HTTP suites cannot reach quickly (upload expiry).
#include "app/mailbox.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

class MailboxTest : public AppTest {
 protected:
  Result<UploadResult> Upload(const AuthContext& ctx, std::string_view data) {
    SP_ASSIGN_OR_RETURN(auto session, mailbox_.BeginUpload(ctx, data.size()));
    SP_RETURN_IF_ERROR(session->Write(AsBytes(data)));
    return session->Finish();
  }

  size_t BlobFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/blobs")) {
      n += e.is_regular_file();
    }
    return n;
  }

  Mailbox mailbox_{services_};
};

TEST_F(MailboxTest, UnusedUploadsExpireButAttachedOnesStay) {
  const std::string alice_totp = Enrol("alice@example.org");
  Enrol("bob@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);

  auto kept = Upload(alice, "attached to a message");
  auto dropped = Upload(alice, "never attached");
  ASSERT_THAT(kept.status(), IsOk());
  ASSERT_THAT(dropped.status(), IsOk());
  ASSERT_THAT(
      mailbox_.Send(alice, {{"bob@example.org"}, "s", "t", "", {{kept->id.str(), "a.txt", ""}}})
          .status(),
      IsOk());
  EXPECT_EQ(BlobFiles(), 2u);

  clock_.Advance(1h);
  auto removed = mailbox_.ExpireUploads();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_EQ(*removed, 0);  // too young

  clock_.Advance(services_.config.upload_ttl);
  removed = mailbox_.ExpireUploads();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_THAT(store_->GetUpload(dropped->id).status(), StatusIs(ErrorCode::kNotFound));
  // The expired upload can no longer be attached.
  EXPECT_THAT(
      mailbox_.Send(alice, {{"bob@example.org"}, "s", "t", "", {{dropped->id.str(), "b.txt", ""}}})
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::app
