// SubmissionRejection evidence (app/submission_rejection.h): a send refused for a rule it broke
// gets a submission id, one log leaf per recipient with the reason, and receipts the sender
// lists and verifies offline; a platform failure gets none; only the sender sees them.
#include "app/submission_rejection.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "app/mailbox.h"
#include "app/receipts_test_fixture.h"

namespace sealpost::app {
namespace {

constexpr const char* kAlice = "alice@example.org";
constexpr const char* kBob = "bob@example.org";
constexpr const char* kGuest = "guest@example.net";

class SubmissionRejectionTest : public ReceiptsAppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol(kAlice);
    bob_totp_ = Enrol(kBob);
  }

  // To bob and a guest who has no MUC: refused (kMucRequired).
  SendRequest WithoutMuc() {
    SendRequest r;
    r.to = {kBob, kGuest};
    r.subject = "Contract";
    r.text = "Please sign.";
    return r;
  }

  std::vector<store::AuditEvent> Rejections() {
    std::vector<store::AuditEvent> out;
    for (auto& e : AuditEvents()) {
      if (e.type == "submission.rejected") out.push_back(std::move(e));
    }
    return out;
  }

  Mailbox mailbox_{services_};
  std::string alice_totp_, bob_totp_;
};

TEST_F(SubmissionRejectionTest, ARefusedSendGetsASubmissionIdAndOneLeafPerRecipient) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  SendOutcome outcome;
  const SendRequest request = WithoutMuc();
  auto sent = mailbox_.Send(alice, request, &outcome);
  ASSERT_THAT(sent.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(outcome.muc_required, std::vector<std::string>{kGuest});
  ASSERT_TRUE(MessageId::Parse(outcome.submission_id).ok()) << outcome.submission_id;

  const auto evidence =
      store_->evidence().GetMessageEvidence(MessageId::FromTrusted(outcome.submission_id));
  ASSERT_THAT(evidence.status(), IsOk());
  EXPECT_EQ(evidence->sender, kAlice);
  EXPECT_EQ(evidence->sealed_digest_hex, SubmissionDigestHex(request));
  // No message was stored under that id.
  EXPECT_THAT(store_->messages().GetMessage(MessageId::FromTrusted(outcome.submission_id)).status(),
              StatusIs(ErrorCode::kNotFound));

  const auto leaves = Rejections();
  ASSERT_EQ(leaves.size(), 2u);
  std::map<std::string, std::string> methods;
  for (const auto& e : leaves) {
    EXPECT_EQ(e.subject, outcome.submission_id);
    const auto d = nlohmann::json::parse(e.details);
    EXPECT_EQ(d.at("sender"), kAlice);
    EXPECT_EQ(d.at("reason"), std::string(sent.status().client_text()));
    methods[d.at("recipient").get<std::string>()] = d.at("method").get<std::string>();
  }
  EXPECT_EQ(methods, (std::map<std::string, std::string>{{kBob, "mailbox"}, {kGuest, "pickup"}}));
}

TEST_F(SubmissionRejectionTest, TheSenderGetsVerifiableReceiptsWithTheReason) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const AuthContext bob = LoggedIn(kBob, bob_totp_);
  SendOutcome outcome;
  const SendRequest request = WithoutMuc();
  auto sent = mailbox_.Send(alice, request, &outcome);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(SequenceAndIssue(), 2);

  auto list = receipts_.List(alice, outcome.submission_id);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  for (const ReceiptSummary& r : *list) {
    EXPECT_EQ(r.event, "SubmissionRejection");
    auto der = receipts_.Get(alice, outcome.submission_id, r.id);
    ASSERT_THAT(der.status(), IsOk());
    const auto report = receipts::VerifyReceipt(*der, VerifyOptions(SubmissionDigestHex(request)));
    EXPECT_TRUE(report.valid()) << r.id;
    ASSERT_TRUE(report.document.has_value());
    EXPECT_EQ(report.document->message_id, outcome.submission_id);
    EXPECT_EQ(report.document->sender, kAlice);
    EXPECT_EQ(report.document->reason, std::string(sent.status().client_text()));
    // Another submission's digest does not match.
    SendRequest other = WithoutMuc();
    other.text += "!";
    EXPECT_FALSE(receipts::VerifyReceipt(*der, VerifyOptions(SubmissionDigestHex(other))).valid());
    Bytes flipped = *der;
    flipped[flipped.size() / 2] ^= 0x01;
    EXPECT_FALSE(
        receipts::VerifyReceipt(flipped, VerifyOptions(SubmissionDigestHex(request))).valid());
  }
  // Bob, a recipient of the refused send, sees no such thing.
  EXPECT_THAT(receipts_.List(bob, outcome.submission_id).status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(SubmissionRejectionTest, NoRecipientAtAllIsNamedAsTheEmptyGroup) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  SendOutcome outcome;
  SendRequest request;
  request.subject = "nobody";
  ASSERT_THAT(mailbox_.Send(alice, request, &outcome).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  const auto leaves = Rejections();
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(leaves[0].details).at("recipient"), "undisclosed-recipients:;");
  EXPECT_EQ(SequenceAndIssue(), 1);
}

TEST_F(SubmissionRejectionTest, PlatformFailuresAndAcceptedSendsAreNoRejection) {
  EXPECT_FALSE(IsEvidencedRejection(Unavailable("store down")));
  EXPECT_FALSE(IsEvidencedRejection(Internal("bug")));
  EXPECT_FALSE(IsEvidencedRejection(Status(ErrorCode::kStorageFull, "disk")));
  EXPECT_TRUE(IsEvidencedRejection(TooLarge("text too large")));
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  SendOutcome outcome;
  SendRequest ok;
  ok.to = {kBob};
  ok.subject = "fine";
  ASSERT_THAT(mailbox_.Send(alice, ok, &outcome).status(), IsOk());
  EXPECT_TRUE(outcome.submission_id.empty());
  EXPECT_TRUE(Rejections().empty());
}

TEST_F(SubmissionRejectionTest, TheDigestCoversEveryFieldButTheMucs) {
  const std::string base = SubmissionDigestHex(WithoutMuc());
  EXPECT_EQ(base.size(), 64u);
  SendRequest b = WithoutMuc();
  b.mucs.emplace(kGuest, crypto::SecretString::CopyOf("a-secret-muc"));
  EXPECT_EQ(SubmissionDigestHex(b), base);
  for (auto change : std::vector<std::function<void(SendRequest&)>>{
           [](SendRequest& r) { r.to.push_back("c@example.org"); },
           [](SendRequest& r) { r.subject += "x"; }, [](SendRequest& r) { r.text += "x"; },
           [](SendRequest& r) { r.html = "<p>"; }, [](SendRequest& r) { r.in_reply_to = "x"; },
           [](SendRequest& r) {
             r.attachments.push_back({"u", "n", "t"});
           }}) {
    SendRequest c = WithoutMuc();
    change(c);
    EXPECT_NE(SubmissionDigestHex(c), base);
  }
}

std::vector<nlohmann::json> Suppressions(const std::vector<store::AuditEvent>& events) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events) {
    if (e.type == "submission.rejection_suppressed")
      out.push_back(nlohmann::json::parse(e.details));
  }
  return out;
}

TEST_F(SubmissionRejectionTest, ASenderPastItsHourlyLimitGetsNoEvidenceButCountedSuppressions) {
  Services limited = services_;
  limited.config.max_rejection_evidence_per_sender = 2;
  Mailbox mailbox(limited);
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    SendOutcome outcome;
    // Past the limit the refusal itself is unchanged: same code, same MUC list.
    ASSERT_THAT(mailbox.Send(alice, WithoutMuc(), &outcome).status(),
                StatusIs(ErrorCode::kInvalidArgument));
    EXPECT_EQ(outcome.muc_required, std::vector<std::string>{kGuest});
    ids.push_back(outcome.submission_id);
  }
  for (int i = 0; i < 7; ++i) EXPECT_EQ(ids[i].empty(), i >= 2) << i;
  EXPECT_EQ(Rejections().size(), 4u);  // two submissions, two recipients each

  // Five suppressed: audited at the counts 1, 2 and 4, each event with the exact count.
  const auto suppressed = Suppressions(AuditEvents());
  ASSERT_EQ(suppressed.size(), 3u);
  for (size_t i = 0; i < suppressed.size(); ++i) {
    EXPECT_EQ(suppressed[i].at("scope"), "sender");
    EXPECT_EQ(suppressed[i].at("key"), kAlice);
    EXPECT_EQ(suppressed[i].at("suppressed"), int64_t{1} << i);
    EXPECT_EQ(suppressed[i].at("limit"), 2);
    EXPECT_EQ(suppressed[i].at("window_seconds"), 3600);
  }
  // Only the recorded ones became receipts.
  EXPECT_EQ(SequenceAndIssue(), 4);

  // Another member is not held back by alice's count, and alice's next hour has evidence again.
  Services other = services_;
  other.config.max_rejection_evidence_per_sender = 2;
  SendOutcome bob_outcome;
  ASSERT_FALSE(Mailbox(other).Send(LoggedIn(kBob, bob_totp_), WithoutMuc(), &bob_outcome).ok());
  EXPECT_FALSE(bob_outcome.submission_id.empty());
  clock_.Advance(std::chrono::hours(1));
  SendOutcome later;
  ASSERT_FALSE(mailbox.Send(alice, WithoutMuc(), &later).ok());
  EXPECT_FALSE(later.submission_id.empty());
  EXPECT_EQ(Suppressions(AuditEvents()).size(), 3u);
}

TEST_F(SubmissionRejectionTest, OneClientAddressIsLimitedAcrossMembers) {
  Services limited = services_;
  limited.config.max_rejection_evidence_per_client = 3;
  Mailbox mailbox(limited);
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  AuthContext bob = LoggedIn(kBob, bob_totp_);
  ASSERT_EQ(alice.client_address, "127.0.0.1");
  ASSERT_EQ(bob.client_address, "127.0.0.1");
  const auto refuse = [&](const AuthContext& who) {
    SendOutcome outcome;
    EXPECT_FALSE(mailbox.Send(who, WithoutMuc(), &outcome).ok());
    return !outcome.submission_id.empty();
  };
  EXPECT_TRUE(refuse(alice));
  EXPECT_TRUE(refuse(alice));
  EXPECT_TRUE(refuse(bob));
  EXPECT_FALSE(refuse(bob));  // the address's fourth refusal this hour
  const auto suppressed = Suppressions(AuditEvents());
  ASSERT_EQ(suppressed.size(), 1u);
  EXPECT_EQ(suppressed[0].at("scope"), "client");
  EXPECT_EQ(suppressed[0].at("key"), "127.0.0.1");
  EXPECT_EQ(suppressed[0].at("suppressed"), 1);

  // The same member from another address (an IPv6 /64 counts as one) is within its limits.
  bob.client_address = "2001:db8:1:2::5";
  EXPECT_TRUE(refuse(bob));
  bob.client_address = "2001:db8:1:2::6";
  EXPECT_TRUE(refuse(bob));
  EXPECT_TRUE(refuse(bob));
  EXPECT_FALSE(refuse(bob));
  const auto more = Suppressions(AuditEvents());
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[1].at("key"), "2001:0db8:0001:0002::/64");
}

}  // namespace
}  // namespace sealpost::app
