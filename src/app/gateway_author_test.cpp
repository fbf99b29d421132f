// The gateway author (app/gateway_author.h): only active members are sent for, a message is
// sealed by the gateway on the member's behalf with its attachment, and an upload made by one
// GatewaySender cannot be used by another (its key lived only in the first one's memory).
// The whole relay flow through MailSubmission::SubmitFromRelay is in smtp/relay_face_test.cpp.
#include "app/gateway_author.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"
#include "app/mail_submission.h"
#include "app/mailbox.h"

namespace sealpost::app {
namespace {

class GatewaySenderTest : public AppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
  }

  // An upload of `sender` holding `data`.
  std::string Upload(GatewaySender& sender, const std::string& data) {
    auto upload = sender.BeginUpload(data.size());
    EXPECT_THAT(upload.status(), IsOk());
    if (!upload.ok()) return "";
    EXPECT_THAT((*upload)->Write(AsBytes(data)), IsOk());
    auto finished = (*upload)->Finish();
    EXPECT_THAT(finished.status(), IsOk());
    return finished.ok() ? finished->id.str() : "";
  }

  std::string alice_totp_, bob_totp_;
};

TEST_F(GatewaySenderTest, OnlyActiveMembersAreSentFor) {
  EXPECT_THAT(GatewaySender::For(services_, "mallory@example.org").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(GatewaySender::For(services_, "not an address").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  auto alice = GatewaySender::For(services_, "Alice@Example.org");
  ASSERT_THAT(alice.status(), IsOk());
  EXPECT_EQ((*alice)->member().email, "alice@example.org");
}

TEST_F(GatewaySenderTest, AnAttachmentIsSealedWithTheMessageAndOnlyItsOwnSenderCanUseIt) {
  auto first = GatewaySender::For(services_, "alice@example.org");
  auto second = GatewaySender::For(services_, "alice@example.org");
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT(second.status(), IsOk());
  const std::string upload = Upload(**first, "%PDF-1.4\n");
  ASSERT_FALSE(upload.empty());

  SendRequest request{{"bob@example.org"}, "Contract", "Attached.", "", {}};
  request.attachments.push_back({upload, "contract.pdf", "application/pdf"});
  // Another sender (another relayed message) cannot open the upload's key.
  EXPECT_THAT((*second)->Send(request).status(), StatusIs(ErrorCode::kInvalidArgument));

  auto id = (*first)->Send(request);
  ASSERT_THAT(id.status(), IsOk());
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  Mailbox mailbox(services_);
  auto view = mailbox.Read(bob, id->str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.seal_kind, SealKind::kGatewayOnBehalf);
  EXPECT_EQ(view->header.seal, SealState::kValid);
  ASSERT_EQ(view->attachments.size(), 1u);
  auto download = mailbox.OpenAttachment(bob, id->str(), 0);
  ASSERT_THAT(download.status(), IsOk());
  std::vector<uint8_t> buf(64);
  auto n = download->reader->Read(buf);
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "%PDF-1.4\n");
  // The upload is the message's now: not usable a second time.
  EXPECT_THAT((*first)->Send(request).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(GatewaySenderTest, SubmitFromRelayRefusesANonMemberAndKeepsNothing) {
  SubmissionConfig config;
  config.spool_directory = dir_.path() + "/spool";
  auto submission = MailSubmission::Create(services_, config);
  ASSERT_THAT(submission.status(), IsOk());
  auto message = (*submission)->BeginMessage();
  ASSERT_THAT(message.status(), IsOk());
  ASSERT_THAT((*message)->Append("To: bob@example.org\r\nSubject: s\r\n\r\nt\r\n"), IsOk());
  EXPECT_THAT((*submission)
                  ->SubmitFromRelay({"mallory@example.org", {"bob@example.org"}}, **message)
                  .status(),
              StatusIs(ErrorCode::kPermissionDenied));
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto inbox = Mailbox(services_).List(bob, store::Folder::kInbox, "", 10);
  ASSERT_THAT(inbox.status(), IsOk());
  EXPECT_TRUE(inbox->items.empty());
}

}  // namespace
}  // namespace sealpost::app
