// The sender's evidence package (app/evidence_package.h): only the sender gets it, a message
// without receipts is a Conflict, and the ZIP (unpacked with `unzip`) holds every receipt of the
// message, which `openssl cms -verify` accepts against the package's own root certificate.
#include "app/evidence_package.h"

#include <gtest/gtest.h>

#include <string>

#include "app/mailbox.h"
#include "app/receipts_test_fixture.h"
#include "testing/run_tool.h"

namespace sealpost::app {
namespace {

using testutil::RunTool;

constexpr const char* kAlice = "alice@example.org";
constexpr const char* kBob = "bob@example.org";

class EvidencePackageTest : public ReceiptsAppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol(kAlice);
    bob_totp_ = Enrol(kBob);
  }

  MessageId SendToBob(const AuthContext& alice) {
    SendRequest r;
    r.to = {kBob};
    r.subject = "Contract";
    r.text = "Please sign.";
    auto id = mailbox_.Send(alice, r);
    EXPECT_THAT(id.status(), IsOk());
    return *id;
  }

  Mailbox mailbox_{services_};
  EvidencePackages packages_{services_};
  std::string alice_totp_, bob_totp_;
};

TEST_F(EvidencePackageTest, NoReceiptsYetIsAConflictTheClientIsTold) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBob(alice);
  auto package = packages_.Build(alice, id.str());
  EXPECT_THAT(package.status(), StatusIs(ErrorCode::kConflict));
  EXPECT_NE(package.status().client_text().find("No receipts"), std::string_view::npos);
}

TEST_F(EvidencePackageTest, OnlyTheSenderGetsItOthersSeeNoMessage) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const AuthContext bob = LoggedIn(kBob, bob_totp_);
  const MessageId id = SendToBob(alice);
  SequenceAndIssue();
  // The recipient, a malformed id and an unknown id all look alike.
  const auto by_bob = packages_.Build(bob, id.str());
  const auto malformed = packages_.Build(alice, "../etc/passwd");
  const auto unknown = packages_.Build(alice, platform::NewId<MessageId>(rng_).str());
  for (const auto* r : {&by_bob, &malformed, &unknown}) {
    EXPECT_THAT(r->status(), StatusIs(ErrorCode::kNotFound));
    EXPECT_EQ(r->status().message(), "message not found");
  }
}

TEST_F(EvidencePackageTest, ThePackageHoldsTheMessagesReceiptsThatVerifyWithOpenssl) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBob(alice);
  SendToBob(alice);  // another message: its receipts stay out
  SequenceAndIssue();
  auto package = packages_.Build(alice, id.str());
  ASSERT_THAT(package.status(), IsOk());
  EXPECT_EQ(package->file_name, "evidence-" + id.str() + ".zip");

  testutil::TempDir dir;
  testutil::WriteTestFile(dir.path(), "p.zip", AsChars(package->zip));
  const auto unzip = RunTool({"unzip", "-q", "p.zip", "-d", "out"}, dir.path());
  ASSERT_EQ(unzip.exit_code, 0) << unzip.output();
  const auto names = RunTool({"unzip", "-Z1", "p.zip"}, dir.path());
  // A member recipient: SubmissionAcceptance and ContentConsignment, nothing else; no EML.
  EXPECT_NE(names.out.find("receipts/001-SubmissionAcceptance-bob@example.org.p7m"),
            std::string::npos)
      << names.out;
  EXPECT_NE(names.out.find("receipts/002-ContentConsignment-bob@example.org.p7m"),
            std::string::npos)
      << names.out;
  EXPECT_EQ(names.out.find("003-"), std::string::npos) << names.out;
  EXPECT_EQ(names.out.find("message.eml"), std::string::npos) << names.out;
  EXPECT_NE(names.out.find("log-key.txt"), std::string::npos) << names.out;

  const auto cms = RunTool({"openssl", "cms", "-verify", "-inform", "DER", "-in",
                            "receipts/001-SubmissionAcceptance-bob@example.org.p7m", "-binary",
                            "-CAfile", "certificates/root.pem", "-purpose", "any"},
                           dir.path() + "/out");
  EXPECT_EQ(cms.exit_code, 0) << cms.output();
  EXPECT_NE(cms.out.find(id.str()), std::string::npos) << cms.out;
}

}  // namespace
}  // namespace sealpost::app
