// Receipts for sent messages in-process: the evidence events a send, a delivery, an opening and
// an expiry write; receipts issued only once a checkpoint covers them, each verifying offline;
// idempotence and crash safety of the issuer; and that only the sender sees them.
#include "app/receipt_issuing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/app_test_fixture.h"
#include "app/guests.h"
#include "app/mailbox.h"
#include "app/sent_status.h"
#include "receipts/receipt_verifier.h"
#include "tlog/note.h"
#include "trust/platform_pki.h"

namespace sealpost::app {
namespace {

constexpr const char* kAlice = "alice@example.org";
constexpr const char* kBob = "bob@example.org";
constexpr const char* kGuest = "guest@example.net";
constexpr const char* kMuc = "tangerine-42";

class ReceiptIssuingTest : public AppTest {
 protected:
  ReceiptIssuingTest()
      : pki_(*trust::LoadOrCreatePlatformPki(*store_, master_, clock_)),
        tsa_(*receipts::TimeStampAuthority::Create(pki_.tsa, pki_.Chain(), clock_, {})),
        stamper_(*tsa_),
        issuer_(*receipts::ReceiptIssuer::Create(pki_.evidence_signer, pki_.Chain(), stamper_)) {
    services_.receipt_issuer = issuer_.get();
  }

  void SetUp() override {
    alice_totp_ = Enrol(kAlice);
    bob_totp_ = Enrol(kBob);
    mailer_.sent.clear();
  }

  MessageId SendToBobAndGuest(const AuthContext& alice) {
    SendRequest r;
    r.to = {kBob, kGuest};
    r.subject = "Contract";
    r.text = "Please sign.";
    r.mucs = Mucs({{kGuest, kMuc}});
    auto id = mailbox_.Send(alice, r);
    EXPECT_THAT(id.status(), IsOk());
    return *id;
  }

  // Sequences the log (and signs a checkpoint), then lets the issuer run until it is done.
  int SequenceAndIssue() {
    EXPECT_THAT(audit_.SequenceNow(*store_), IsOk());
    int issued = 0;
    for (;;) {
      auto round = issuing_.IssueDue(16);
      EXPECT_THAT(round.status(), IsOk());
      if (!round.ok()) return issued;
      issued += round->issued;
      EXPECT_EQ(round->skipped, 0);
      if (round->scanned == 0) return issued;
    }
  }

  // "recipient event" for each receipt of the message, in log order.
  std::vector<std::string> Events(const AuthContext& sender, const MessageId& id) {
    auto list = receipts_.List(sender, id.str());
    EXPECT_THAT(list.status(), IsOk());
    std::vector<std::string> out;
    if (list.ok()) {
      for (const auto& r : *list) out.push_back(r.recipient + " " + r.event);
    }
    return out;
  }

  receipts::ReceiptVerifyOptions VerifyOptions(const MessageId& id) {
    receipts::ReceiptVerifyOptions options;
    options.roots = {pki_.root.certificate};
    options.log_key = tlog::NoteVerifier{audit_.origin(), audit_.verify_key()};
    options.sealed_digest_hex = store_->evidence().GetMessageEvidence(id)->sealed_digest_hex;
    return options;
  }

  std::string LinkFor(const std::string& to) {
    DeliverQueuedMail();
    for (auto it = mailer_.sent.rbegin(); it != mailer_.sent.rend(); ++it) {
      const size_t at = it->text.find("/pickup#");
      if (it->to.str() == to && at != std::string::npos) return it->text.substr(at + 8, 43);
    }
    ADD_FAILURE() << "no notification for " << to;
    return "";
  }

  trust::PlatformPki pki_;
  std::unique_ptr<receipts::TimeStampAuthority> tsa_;
  receipts::InProcessTimeStamper stamper_;
  std::unique_ptr<receipts::ReceiptIssuer> issuer_;
  Mailbox mailbox_{services_};
  Guests guests_{services_};
  SentMessages sent_{services_};
  ReceiptIssuing issuing_{services_};
  Receipts receipts_{services_};
  std::string alice_totp_, bob_totp_;
};

TEST_F(ReceiptIssuingTest, TheSendWritesOneLeafPerRecipientNamingWhatAReceiptNeeds) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBobAndGuest(alice);
  auto evidence = store_->evidence().GetMessageEvidence(id);
  ASSERT_THAT(evidence.status(), IsOk());
  EXPECT_EQ(evidence->sender, kAlice);
  EXPECT_EQ(evidence->sealed_digest_hex.size(), 64u);

  std::map<std::string, std::string> methods;
  for (const auto& e : AuditEvents()) {
    if (e.type != "message.send") continue;
    EXPECT_EQ(e.subject, id.str());
    const auto d = nlohmann::json::parse(e.details);
    EXPECT_EQ(d.at("sender"), kAlice);
    EXPECT_EQ(d.at("sealed_digest"), evidence->sealed_digest_hex);
    EXPECT_EQ(d.at("recipients"), 2);
    methods[d.at("recipient").get<std::string>()] = d.at("method").get<std::string>();
  }
  EXPECT_EQ(methods, (std::map<std::string, std::string>{{kBob, "mailbox"}, {kGuest, "pickup"}}));
}

TEST_F(ReceiptIssuingTest, ReceiptsFollowTheMessageAndVerifyOffline) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBobAndGuest(alice);

  // Nothing before a checkpoint covers the events.
  auto early = issuing_.IssueDue();
  ASSERT_THAT(early.status(), IsOk());
  EXPECT_EQ(early->issued, 0);
  EXPECT_TRUE(Events(alice, id).empty());

  EXPECT_EQ(SequenceAndIssue(), 3);
  EXPECT_EQ(Events(alice, id),
            (std::vector<std::string>{std::string(kBob) + " SubmissionAcceptance",
                                      std::string(kBob) + " ContentConsignment",
                                      std::string(kGuest) + " SubmissionAcceptance"}));

  // The notification handed over: the guest's consignment. Both open it: two handovers.
  const std::string link = LinkFor(kGuest);
  ASSERT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1").status(), IsOk());
  ASSERT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1").status(), IsOk());  // not a second one
  const AuthContext bob = LoggedIn(kBob, bob_totp_);
  ASSERT_THAT(mailbox_.Read(bob, id.str()).status(), IsOk());
  ASSERT_THAT(mailbox_.Read(bob, id.str()).status(), IsOk());
  EXPECT_EQ(SequenceAndIssue(), 3);
  const auto events = Events(alice, id);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[3], std::string(kGuest) + " ContentConsignment");
  EXPECT_EQ(events[4], std::string(kGuest) + " ContentHandover");
  EXPECT_EQ(events[5], std::string(kBob) + " ContentHandover");

  auto list = receipts_.List(alice, id.str());
  ASSERT_THAT(list.status(), IsOk());
  for (const ReceiptSummary& r : *list) {
    auto der = receipts_.Get(alice, id.str(), r.id);
    ASSERT_THAT(der.status(), IsOk());
    const receipts::ReceiptReport report = receipts::VerifyReceipt(*der, VerifyOptions(id));
    EXPECT_TRUE(report.valid()) << r.id;
    ASSERT_TRUE(report.document.has_value());
    EXPECT_EQ(report.document->message_id, id.str());
    EXPECT_EQ(report.document->recipient, r.recipient);
    EXPECT_EQ(report.document->sender, kAlice);
    EXPECT_EQ(report.document->log_index, r.log_index);
    EXPECT_EQ(report.document->time_ms, r.time_ms);
    EXPECT_EQ(std::string(receipts::EvidenceEventName(report.document->event)), r.event);
    // One byte flipped anywhere in the receipt: it no longer verifies.
    Bytes flipped = *der;
    flipped[flipped.size() / 2] ^= 0x01;
    EXPECT_FALSE(receipts::VerifyReceipt(flipped, VerifyOptions(id)).valid()) << r.id;
  }
}

TEST_F(ReceiptIssuingTest, AReceiptOfAnotherMessageDoesNotMatchThisOnesDigest) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId first = SendToBobAndGuest(alice);
  const MessageId second = SendToBobAndGuest(alice);
  SequenceAndIssue();
  auto receipts = receipts_.List(alice, second.str());
  ASSERT_THAT(receipts.status(), IsOk());
  ASSERT_FALSE(receipts->empty());
  auto der = receipts_.Get(alice, second.str(), receipts->front().id);
  ASSERT_THAT(der.status(), IsOk());
  EXPECT_TRUE(receipts::VerifyReceipt(*der, VerifyOptions(second)).valid());
  const receipts::ReceiptReport report = receipts::VerifyReceipt(*der, VerifyOptions(first));
  EXPECT_FALSE(report.valid());
  ASSERT_NE(report.Find("sealed digest"), nullptr);
  EXPECT_EQ(report.Find("sealed digest")->outcome, receipts::CheckOutcome::kFailed);
  // And the receipt id of one message does not open under the other.
  EXPECT_THAT(receipts_.Get(alice, first.str(), receipts->front().id).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(ReceiptIssuingTest, OnlyTheSenderSeesTheReceipts) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBobAndGuest(alice);
  SequenceAndIssue();
  auto list = receipts_.List(alice, id.str());
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_FALSE(list->empty());
  const AuthContext bob = LoggedIn(kBob, bob_totp_);
  const auto for_bob = receipts_.List(bob, id.str());
  const auto missing = receipts_.List(alice, "m_doesnotexist0000000000000000");
  EXPECT_THAT(for_bob.status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(missing.status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(for_bob.status().message(), missing.status().message());
  EXPECT_THAT(receipts_.Get(bob, id.str(), list->front().id).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(receipts_.Get(alice, id.str(), "0-99").status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(ReceiptIssuingTest, IssuingIsIdempotentAndSurvivesAFailedCommit) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBobAndGuest(alice);
  ASSERT_THAT(audit_.SequenceNow(*store_), IsOk());

  // The commit of the receipts fails (a crash before it): nothing stored, the cursor stays.
  faults_.FailWrites(Unavailable("disk gone"), 1);
  EXPECT_THAT(issuing_.IssueDue().status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_TRUE(Events(alice, id).empty());
  EXPECT_EQ(*store_->evidence().GetReceiptCursor(), 0u);

  // The next round issues them all; another round, or a second issuer, adds nothing.
  EXPECT_EQ(SequenceAndIssue(), 3);
  ReceiptIssuing second(services_);
  auto again = second.IssueDue();
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->issued, 0);
  EXPECT_EQ(Events(alice, id).size(), 3u);

  // A receipt stored twice (two issuers racing past the cursor) is kept once.
  auto first = store_->evidence().ListReceipts(id);
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    for (const auto& r : *first) SP_RETURN_IF_ERROR(tx.evidence().AddReceipt(r));
    return tx.evidence().AdvanceReceiptCursor(0);  // never moves back
  }),
              IsOk());
  EXPECT_EQ(store_->evidence().ListReceipts(id)->size(), 3u);
  EXPECT_GT(*store_->evidence().GetReceiptCursor(), 0u);
}

TEST_F(ReceiptIssuingTest, AFailedNotificationAndAnExpiredPickupHaveTheirReceipts) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  const MessageId id = SendToBobAndGuest(alice);
  mailer_.fail_with = InvalidArgument("550 5.1.1 no such user");
  DeliverQueuedMail();
  clock_.Advance(std::chrono::hours(24 * 31));
  auto expired = sent_.ExpirePickups();
  ASSERT_THAT(expired.status(), IsOk());
  EXPECT_EQ(expired->expired, 1);
  SequenceAndIssue();

  auto list = receipts_.List(alice, id.str());
  ASSERT_THAT(list.status(), IsOk());
  std::map<std::string, std::string> reasons;
  for (const auto& r : *list) {
    if (r.recipient != kGuest) continue;
    auto der = receipts_.Get(alice, id.str(), r.id);
    ASSERT_THAT(der.status(), IsOk());
    const auto report = receipts::VerifyReceipt(*der, VerifyOptions(id));
    EXPECT_TRUE(report.valid()) << r.event;
    reasons[r.event] = report.document ? report.document->reason : "?";
  }
  EXPECT_EQ(reasons, (std::map<std::string, std::string>{
                         {"SubmissionAcceptance", ""},
                         {"ContentConsignmentFailure", "550 5.1.1 no such user"},
                         {"ContentHandoverFailure", "expired"}}));
}

// A relay that says who it is and what it answered: pickup.notified carries both, and the guest's
// ContentConsignment receipt names them as its reason, bound to the leaf.
TEST_F(ReceiptIssuingTest, TheRelaysReplyIsInTheConsignmentReceipt) {
  const AuthContext alice = LoggedIn(kAlice, alice_totp_);
  mailer_.handoff = delivery::MailHandoff{"relay.example.net", "250 2.0.0 Ok: queued as 4QxyZ1"};
  const MessageId id = SendToBobAndGuest(alice);
  DeliverQueuedMail();
  bool seen = false;
  for (const auto& e : AuditEvents()) {
    if (e.type != "pickup.notified") continue;
    const auto d = nlohmann::json::parse(e.details);
    EXPECT_EQ(d.at("relay"), "relay.example.net");
    EXPECT_EQ(d.at("reply"), "250 2.0.0 Ok: queued as 4QxyZ1");
    seen = true;
  }
  EXPECT_TRUE(seen);
  SequenceAndIssue();
  auto list = receipts_.List(alice, id.str());
  ASSERT_THAT(list.status(), IsOk());
  int consigned = 0;
  for (const auto& r : *list) {
    if (r.recipient != kGuest || r.event != "ContentConsignment") continue;
    auto der = receipts_.Get(alice, id.str(), r.id);
    ASSERT_THAT(der.status(), IsOk());
    const auto report = receipts::VerifyReceipt(*der, VerifyOptions(id));
    EXPECT_TRUE(report.valid());
    ASSERT_TRUE(report.document.has_value());
    EXPECT_EQ(report.document->reason, "relay.example.net replied: 250 2.0.0 Ok: queued as 4QxyZ1");
    ++consigned;
  }
  EXPECT_EQ(consigned, 1);
}

TEST(EvidenceOfLeafTest, ARelayReplyMustMatchTheLeafToBeAttested) {
  tlog::LogEntry entry;
  entry.kind = tlog::LogEntryKind::kEvent;
  entry.event.type = "pickup.notified";
  entry.event.subject = "0123456789abcdef0123456789abcdef";
  entry.event.time_ms = 1000;
  entry.event.details = nlohmann::json{
      {"recipient", kGuest},
      {"method", "pickup"},
      {"relay", "relay.example.net"},
      {"reply",
       "250 ok\x01"}}.dump();
  store::MessageEvidenceRecord m{
      MessageId::FromTrusted(entry.event.subject), kAlice, std::string(64, 'a'), {}};
  auto documents = EvidenceOfLeaf(entry.event, m);
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0].reason, "relay.example.net replied: 250 ok?");
  EXPECT_THAT(receipts::CheckLeafRecordsEvent(entry, documents[0]), IsOk());
  documents[0].reason = "relay.example.net replied: 250 forged";
  EXPECT_THAT(receipts::CheckLeafRecordsEvent(entry, documents[0]),
              StatusIs(ErrorCode::kUnauthenticated));
}

}  // namespace
}  // namespace sealpost::app
