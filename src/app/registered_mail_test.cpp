// Registered mail in-process: members and guests see only the notice (sender, registered,
// deadline) until they accept — Read, ReadWithKey, List, search and attachment downloads alike —;
// a decision is taken once; the deadline ends it (expiry round); and each decision becomes a
// leaf naming the recipient and a receipt for the sender that verifies offline.
#include "app/registered_mail.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/guests.h"
#include "app/mailbox.h"
#include "app/receipts_test_fixture.h"

namespace sealpost::app {
namespace {

constexpr const char* kAlice = "alice@example.org";
constexpr const char* kBob = "bob@example.org";
constexpr const char* kGuest = "guest@example.net";
constexpr const char* kMuc = "tangerine-42";

class RegisteredMailTest : public ReceiptsAppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol(kAlice);
    bob_totp_ = Enrol(kBob);
    mailer_.sent.clear();
    alice_.emplace(LoggedIn(kAlice, alice_totp_));
    bob_.emplace(LoggedIn(kBob, bob_totp_));
  }

  Result<UploadResult> Upload(const AuthContext& ctx, std::string_view data) {
    SP_ASSIGN_OR_RETURN(auto session, mailbox_.BeginUpload(ctx, data.size()));
    SP_RETURN_IF_ERROR(session->Write(AsBytes(data)));
    return session->Finish();
  }

  // A registered message with an attachment from Alice to Bob and the guest.
  MessageId SendRegistered(std::optional<int64_t> days = std::nullopt) {
    auto upload = Upload(*alice_, "the signed contract");
    EXPECT_THAT(upload.status(), IsOk());
    SendRequest r;
    r.to = {kBob, kGuest};
    r.subject = "Notice of termination";
    r.text = "We terminate the contract.";
    r.attachments = {{upload->id.str(), "contract.pdf", "application/pdf"}};
    r.mucs = Mucs({{kGuest, kMuc}});
    r.registered = true;
    r.acceptance_days = days;
    auto id = mailbox_.Send(*alice_, r);
    EXPECT_THAT(id.status(), IsOk());
    return *id;
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

  // The only content a notice may hold: id, sender, registered state and deadline.
  static void ExpectNoticeOnly(const MessageView& v) {
    EXPECT_EQ(v.withheld, Withheld::kNotAccepted);
    EXPECT_EQ(v.header.from_email, kAlice);
    EXPECT_TRUE(v.header.subject.empty());
    EXPECT_TRUE(v.header.to.empty());
    EXPECT_EQ(v.header.attachment_count, 0u);
    EXPECT_TRUE(v.body.text.empty());
    EXPECT_TRUE(v.body.html.empty());
    EXPECT_TRUE(v.attachments.empty());
    EXPECT_TRUE(v.header.registered.has_value());
  }

  // Details of the leaves of `type` about `id`, oldest first.
  std::vector<nlohmann::json> Leaves(const std::string& type, const MessageId& id) {
    std::vector<nlohmann::json> out;
    for (const auto& e : AuditEvents()) {
      if (e.type == type && e.subject == id.str()) out.push_back(nlohmann::json::parse(e.details));
    }
    return out;
  }

  Mailbox mailbox_{services_};
  Guests guests_{services_};
  RegisteredMail registered_{services_};
  std::string alice_totp_, bob_totp_;
  std::optional<AuthContext> alice_, bob_;
};

TEST_F(RegisteredMailTest, AMemberSeesOnlyTheNoticeUntilAccepting) {
  const MessageId id = SendRegistered(7);

  auto inbox = mailbox_.List(*bob_, store::Folder::kInbox, "", 10);
  ASSERT_THAT(inbox.status(), IsOk());
  ASSERT_EQ(inbox->items.size(), 1u);
  ASSERT_TRUE(inbox->items[0].header.has_value());
  EXPECT_TRUE(inbox->items[0].header->subject.empty());
  ASSERT_TRUE(inbox->items[0].header->registered.has_value());
  EXPECT_EQ(inbox->items[0].header->registered->deadline, clock_.Now() + 7 * 24h);
  // Searching the subject finds nothing: it is not the reader's yet.
  EXPECT_TRUE(mailbox_.List(*bob_, store::Folder::kInbox, "", 10, "termination")->items.empty());

  auto read = mailbox_.Read(*bob_, id.str());
  ASSERT_THAT(read.status(), IsOk());
  ExpectNoticeOnly(*read);
  EXPECT_EQ(read->header.registered->state, store::RegisteredState::kPending);
  EXPECT_EQ(mailbox_.OpenAttachment(*bob_, id.str(), 0).status().reason(),
            Reason::kAcceptanceRequired);
  // Reading the notice is no handover: still unread, no read leaf.
  EXPECT_TRUE(mailbox_.List(*bob_, store::Folder::kInbox, "", 10)->items[0].unread);
  EXPECT_TRUE(Leaves("message.read", id).empty());

  auto accepted = registered_.Accept(*bob_, id.str());
  ASSERT_THAT(accepted.status(), IsOk());
  EXPECT_EQ(accepted->withheld, Withheld::kNone);
  EXPECT_EQ(accepted->header.subject, "Notice of termination");
  EXPECT_EQ(accepted->body.text, "We terminate the contract.");
  ASSERT_EQ(accepted->attachments.size(), 1u);
  ASSERT_TRUE(accepted->header.registered.has_value());
  EXPECT_EQ(accepted->header.registered->state, store::RegisteredState::kAccepted);
  EXPECT_THAT(mailbox_.OpenAttachment(*bob_, id.str(), 0).status(), IsOk());
  EXPECT_EQ(mailbox_.List(*bob_, store::Folder::kInbox, "", 10, "termination")->items.size(), 1u);

  // Once: neither a second acceptance nor a refusal afterwards.
  EXPECT_EQ(registered_.Accept(*bob_, id.str()).status().reason(), Reason::kAlreadyDecided);
  EXPECT_EQ(registered_.Refuse(*bob_, id.str()).reason(), Reason::kAlreadyDecided);
  const auto leaves = Leaves("message.accepted", id);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0]["recipient"], kBob);
  EXPECT_EQ(leaves[0]["method"], "mailbox");
  // The acceptance was the handover: the read after it is not a first one.
  for (const auto& read_leaf : Leaves("message.read", id))
    EXPECT_FALSE(read_leaf.contains("first"));
  // The sender's own copy is hers in full.
  auto own = mailbox_.Read(*alice_, id.str());
  ASSERT_THAT(own.status(), IsOk());
  EXPECT_EQ(own->header.subject, "Notice of termination");
  EXPECT_FALSE(own->header.registered.has_value());
}

TEST_F(RegisteredMailTest, ARefusalKeepsTheContentWithheldForGood) {
  const MessageId id = SendRegistered();
  ASSERT_THAT(registered_.Refuse(*bob_, id.str()), IsOk());
  auto read = mailbox_.Read(*bob_, id.str());
  ASSERT_THAT(read.status(), IsOk());
  ExpectNoticeOnly(*read);
  EXPECT_EQ(read->header.registered->state, store::RegisteredState::kRefused);
  EXPECT_EQ(mailbox_.OpenAttachment(*bob_, id.str(), 0).status().reason(),
            Reason::kAcceptanceRequired);
  EXPECT_EQ(registered_.Accept(*bob_, id.str()).status().reason(), Reason::kAlreadyDecided);
  const auto leaves = Leaves("message.refused", id);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0]["recipient"], kBob);
}

TEST_F(RegisteredMailTest, OnlyARecipientOfRegisteredMailDecides) {
  const std::string carol_totp = Enrol("carol@example.org");
  const AuthContext carol = LoggedIn("carol@example.org", carol_totp);
  SendRequest plain;
  plain.to = {kBob};
  plain.subject = "Lunch?";
  auto id = mailbox_.Send(*alice_, plain);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(registered_.Accept(*bob_, id->str()).status().reason(), Reason::kNotRegistered);
  EXPECT_EQ(registered_.Refuse(*bob_, id->str()).reason(), Reason::kNotRegistered);
  EXPECT_FALSE(mailbox_.Read(*bob_, id->str())->header.registered.has_value());

  const MessageId reg = SendRegistered();
  // The sender has no decision to take, and a stranger does not see the message at all.
  EXPECT_EQ(registered_.Accept(*alice_, reg.str()).status().reason(), Reason::kNotRegistered);
  EXPECT_THAT(registered_.Accept(*bob_, "not-an-id").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(registered_.Accept(carol, reg.str()).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(registered_.Refuse(carol, reg.str()), StatusIs(ErrorCode::kNotFound));
}

TEST_F(RegisteredMailTest, TheDeadlineIsBoundedByConfig) {
  SendRequest r;
  r.to = {kBob};
  r.subject = "s";
  r.registered = true;
  for (const int64_t days : {int64_t{0}, int64_t{-1}, int64_t{91}}) {
    r.acceptance_days = days;
    EXPECT_EQ(mailbox_.Send(*alice_, r).status().reason(), Reason::kInvalidDeadline) << days;
  }
  r.registered = false;
  r.acceptance_days = 3;
  EXPECT_EQ(mailbox_.Send(*alice_, r).status().reason(), Reason::kInvalidDeadline);
  r.registered = true;
  r.acceptance_days = std::nullopt;
  auto id = mailbox_.Send(*alice_, r);
  ASSERT_THAT(id.status(), IsOk());
  auto row = store_->registered().GetRegisteredRecipient(*id, kBob);
  ASSERT_THAT(row.status(), IsOk());
  EXPECT_EQ(row->deadline, clock_.Now() + services_.config.registered_deadline);
  EXPECT_EQ(RegisteredLimitsOf(services_.config).default_days, 14);
  EXPECT_EQ(RegisteredLimitsOf(services_.config).max_days, 90);
}

TEST_F(RegisteredMailTest, NotAcceptedByTheDeadlineItExpires) {
  const MessageId id = SendRegistered(2);
  clock_.Advance(24h);
  auto none = registered_.ExpireOverdue();
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_EQ(none->expired, 0);
  clock_.Advance(24h);
  // At the deadline the acceptance is too late, even before the expiry round ran.
  EXPECT_EQ(registered_.Accept(*bob_, id.str()).status().reason(), Reason::kDeadlinePassed);
  auto round = registered_.ExpireOverdue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->expired, 2);  // Bob and the guest
  EXPECT_EQ(registered_.ExpireOverdue()->expired, 0);
  EXPECT_EQ(registered_.Accept(*bob_, id.str()).status().reason(), Reason::kAlreadyDecided);
  auto read = mailbox_.Read(*bob_, id.str());
  ASSERT_THAT(read.status(), IsOk());
  ExpectNoticeOnly(*read);
  EXPECT_EQ(read->header.registered->state, store::RegisteredState::kExpired);
  std::map<std::string, std::string> methods;
  for (const auto& leaf : Leaves("message.expired", id))
    methods[leaf["recipient"]] = leaf["method"];
  EXPECT_EQ(methods, (std::map<std::string, std::string>{{kBob, "mailbox"}, {kGuest, "pickup"}}));
}

TEST_F(RegisteredMailTest, AGuestAcceptsAfterUnlockAndOnlyThenSeesTheContent) {
  const MessageId id = SendRegistered();
  const std::string link = LinkFor(kGuest);
  // The notification names the sender, never the subject.
  EXPECT_EQ(mailer_.sent.back().text.find("termination"), std::string::npos);

  auto unlocked = guests_.Unlock(link, kMuc, "192.0.2.1");
  ASSERT_THAT(unlocked.status(), IsOk());
  ExpectNoticeOnly(unlocked->message);
  EXPECT_EQ(unlocked->message.header.registered->state, store::RegisteredState::kPending);
  const std::string token = unlocked->pickup_token;
  EXPECT_EQ(guests_.OpenAttachment(token, 0, "192.0.2.1").status().reason(),
            Reason::kAcceptanceRequired);
  EXPECT_EQ(guests_.Reply(token, {"thanks", "", {}, false}, "192.0.2.1").status().reason(),
            Reason::kAcceptanceRequired);
  // Unlocking to see the notice is no handover.
  const auto unlocks = Leaves("pickup.unlock", id);
  ASSERT_EQ(unlocks.size(), 1u);
  EXPECT_EQ(unlocks[0]["first"], false);

  auto accepted = guests_.Decide(token, Decision::kAccept, "192.0.2.1");
  ASSERT_THAT(accepted.status(), IsOk());
  EXPECT_EQ(accepted->withheld, Withheld::kNone);
  EXPECT_EQ(accepted->header.subject, "Notice of termination");
  EXPECT_EQ(accepted->body.text, "We terminate the contract.");
  EXPECT_THAT(guests_.OpenAttachment(token, 0, "192.0.2.1").status(), IsOk());
  EXPECT_EQ(guests_.Decide(token, Decision::kRefuse, "192.0.2.1").status().reason(),
            Reason::kAlreadyDecided);
  const auto leaves = Leaves("message.accepted", id);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0]["recipient"], kGuest);
  EXPECT_EQ(leaves[0]["method"], "pickup");
  // Bob's decision is his own: still pending.
  EXPECT_EQ(store_->registered().GetRegisteredRecipient(id, kBob)->state,
            store::RegisteredState::kPending);
  // A bad token decides nothing.
  EXPECT_THAT(guests_.Decide("garbage", Decision::kAccept, "192.0.2.1").status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(RegisteredMailTest, AGuestRefusesAndTheSenderGetsEveryDecisionAsAReceipt) {
  const MessageId id = SendRegistered(3);
  auto unlocked = guests_.Unlock(LinkFor(kGuest), kMuc, "192.0.2.1");
  ASSERT_THAT(unlocked.status(), IsOk());
  auto refused = guests_.Decide(unlocked->pickup_token, Decision::kRefuse, "192.0.2.1");
  ASSERT_THAT(refused.status(), IsOk());
  ExpectNoticeOnly(*refused);
  EXPECT_EQ(refused->header.registered->state, store::RegisteredState::kRefused);
  EXPECT_EQ(guests_.OpenAttachment(unlocked->pickup_token, 0, "192.0.2.1").status().reason(),
            Reason::kAcceptanceRequired);
  ASSERT_THAT(registered_.Accept(*bob_, id.str()).status(), IsOk());
  SequenceAndIssue();

  auto list = receipts_.List(*alice_, id.str());
  ASSERT_THAT(list.status(), IsOk());
  std::multiset<std::string> events;
  const receipts::ReceiptVerifyOptions options =
      VerifyOptions(store_->evidence().GetMessageEvidence(id)->sealed_digest_hex);
  for (const auto& r : *list) {
    events.insert(r.recipient + " " + r.event);
    auto der = receipts_.Get(*alice_, id.str(), r.id);
    ASSERT_THAT(der.status(), IsOk());
    EXPECT_TRUE(receipts::VerifyReceipt(*der, options).valid()) << r.event;
  }
  EXPECT_EQ(events.count("bob@example.org ConsignmentAcceptance"), 1u);
  EXPECT_EQ(events.count("bob@example.org ContentHandover"), 1u);
  EXPECT_EQ(events.count("guest@example.net ConsignmentRejection"), 1u);
  EXPECT_EQ(events.count("guest@example.net ContentHandover"), 0u);
  EXPECT_EQ(events.count("guest@example.net ConsignmentAcceptance"), 0u);

  // Nobody left pending: the deadline passes without an expiry.
  clock_.Advance(4 * 24h);
  EXPECT_EQ(registered_.ExpireOverdue()->expired, 0);
}

TEST_F(RegisteredMailTest, AnExpiryBecomesAnAcceptanceRejectionExpiryReceipt) {
  const MessageId id = SendRegistered(1);
  clock_.Advance(25h);
  ASSERT_EQ(registered_.ExpireOverdue()->expired, 2);
  SequenceAndIssue();
  auto list = receipts_.List(*alice_, id.str());
  ASSERT_THAT(list.status(), IsOk());
  std::set<std::string> expired_for;
  for (const auto& r : *list) {
    if (r.event == "AcceptanceRejectionExpiry") expired_for.insert(r.recipient);
  }
  EXPECT_EQ(expired_for, (std::set<std::string>{kBob, kGuest}));
}

}  // namespace
}  // namespace sealpost::app
