// The sender's side in-process: per-recipient status, recall, chosen expiry and the cleanup.
#include "app/sent_status.h"

#include <gtest/gtest.h>

#include "app/app_test_fixture.h"
#include "app/guests.h"
#include "auth/bearer_secret.h"

namespace sealpost::app {
namespace {

constexpr const char* kGuest = "guest@example.net";
constexpr const char* kOther = "other@example.net";
constexpr const char* kMuc = "tangerine-42";

class SentStatusTest : public AppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
    mailer_.sent.clear();
  }

  SendRequest Request(std::vector<std::string> to, std::string subject) {
    SendRequest r;
    r.to = std::move(to);
    r.subject = std::move(subject);
    r.text = "body of " + r.subject;
    for (const std::string& a : r.to) {
      if (a.find("example.net") != std::string::npos)
        r.mucs[a] = crypto::SecretString::CopyOf(kMuc);
    }
    return r;
  }

  // The link secret of the newest notification to `to` that was handed to the mailer.
  std::string LinkFor(const std::string& to) {
    for (auto it = mailer_.sent.rbegin(); it != mailer_.sent.rend(); ++it) {
      if (it->to.str() != to) continue;
      const size_t at = it->text.find("/pickup#");
      if (at != std::string::npos) return it->text.substr(at + 8, 43);
    }
    ADD_FAILURE() << "no notification for " << to;
    return "";
  }

  Result<SentStatus> StatusOf(const AuthContext& ctx, const MessageId& id) {
    SP_ASSIGN_OR_RETURN(const MessageView view, mailbox_.Read(ctx, id.str()));
    return sent_.StatusOf(ctx, view.header);
  }

  static const RecipientStatus* Find(const SentStatus& s, const std::string& address) {
    for (const auto& r : s.recipients) {
      if (r.address == address) return &r;
    }
    ADD_FAILURE() << "no status for " << address;
    static const RecipientStatus kNone;
    return &kNone;
  }

  Mailbox mailbox_{services_};
  Guests guests_{services_};
  SentMessages sent_{services_};
  std::string alice_totp_, bob_totp_;
};

TEST_F(SentStatusTest, GuestGoesFromQueuedToNotifiedOpenedRepliedAndMembersAreDelivered) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  const TimePoint sent_at = clock_.Now();
  auto id = mailbox_.Send(alice, Request({"bob@example.org", kGuest}, "status"));
  ASSERT_THAT(id.status(), IsOk());

  auto status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  ASSERT_EQ(status->recipients.size(), 2u);
  EXPECT_EQ(status->recipients[0].address, "bob@example.org");
  EXPECT_EQ(status->recipients[0].delivery, RecipientDelivery::kMember);
  EXPECT_EQ(status->recipients[0].status, "delivered");
  EXPECT_EQ(status->recipients[1].delivery, RecipientDelivery::kPortal);
  EXPECT_EQ(status->recipients[1].status, "queued");
  EXPECT_FALSE(status->recipients[1].notified_at);
  EXPECT_FALSE(status->recipients[1].locked);
  EXPECT_EQ(status->expires_at, sent_at + services_.config.pickup_ttl);
  EXPECT_TRUE(status->can_recall);

  clock_.Advance(5s);
  DeliverQueuedMail();
  status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kGuest)->status, "notified");
  EXPECT_EQ(Find(*status, kGuest)->notified_at, clock_.Now());

  clock_.Advance(5s);
  ASSERT_THAT(guests_.Unlock(LinkFor(kGuest), kMuc, "192.0.2.1").status(), IsOk());
  const TimePoint opened_at = clock_.Now();
  clock_.Advance(5s);
  ASSERT_THAT(guests_.Unlock(LinkFor(kGuest), kMuc, "192.0.2.1").status(), IsOk());
  status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kGuest)->status, "opened");
  EXPECT_EQ(Find(*status, kGuest)->opened_at, opened_at);  // the first unlock
  EXPECT_TRUE(status->can_recall);                         // bob has not read it

  // The reply use case records the reply on the pickup.
  const std::string lookup = auth::BearerSecret::Parse(LinkFor(kGuest))->Lookup();
  const TimePoint replied_at = clock_.Now();
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.guests().SetPickupReplied(lookup, replied_at);
  }),
              IsOk());
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  ASSERT_THAT(mailbox_.Read(bob, id->str()).status(), IsOk());
  status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kGuest)->status, "replied");
  EXPECT_EQ(Find(*status, kGuest)->replied_at, replied_at);
  EXPECT_FALSE(status->can_recall);  // everyone has opened it

  // Only the sender sees the status.
  auto as_bob = mailbox_.Read(bob, id->str());
  ASSERT_THAT(as_bob.status(), IsOk());
  EXPECT_THAT(sent_.StatusOf(bob, as_bob->header).status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(SentStatusTest, ALockedAddressAndAFailedNotificationShow) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto id = mailbox_.Send(alice, Request({kGuest}, "locked"));
  ASSERT_THAT(id.status(), IsOk());
  DeliverQueuedMail();
  const std::string link = LinkFor(kGuest);
  for (int i = 0; i < services_.config.max_muc_failures; ++i) {
    (void)guests_.Unlock(link, "wrong-code-" + std::to_string(i), "192.0.2.1");
  }
  auto status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kGuest)->status, "notified");
  EXPECT_TRUE(Find(*status, kGuest)->locked);
  ASSERT_THAT(guests_.IssueMuc(alice, id->str(), kGuest, "fresh-code-1", false).status(), IsOk());
  status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_FALSE(Find(*status, kGuest)->locked);

  // The relay refuses the next notification for good: failed.
  mailer_.fail_with = InvalidArgument("550 no such user");
  auto id2 = mailbox_.Send(alice, Request({kOther}, "refused"));
  ASSERT_THAT(id2.status(), IsOk());
  DeliverQueuedMail();
  status = StatusOf(alice, *id2);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kOther)->status, "failed");
  EXPECT_FALSE(Find(*status, kOther)->notified_at);
}

TEST_F(SentStatusTest, RecallWithdrawsUnopenedPickupsAndUnreadMemberCopiesOnly) {
  const std::string carol_totp = Enrol("carol@example.org");
  mailer_.sent.clear();
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto id = mailbox_.Send(
      alice, Request({"bob@example.org", "carol@example.org", kGuest, kOther}, "recall me"));
  ASSERT_THAT(id.status(), IsOk());
  DeliverQueuedMail();
  const std::string guest_link = LinkFor(kGuest);
  const std::string other_link = LinkFor(kOther);
  ASSERT_THAT(guests_.Unlock(guest_link, kMuc, "192.0.2.1").status(), IsOk());
  const AuthContext carol = LoggedIn("carol@example.org", carol_totp);
  ASSERT_THAT(mailbox_.Read(carol, id->str()).status(), IsOk());

  // Not the sender: as if there were no such message.
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  EXPECT_THAT(sent_.Recall(bob, id->str()).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(sent_.Recall(alice, "not-an-id").status(), StatusIs(ErrorCode::kNotFound));

  auto recalled = sent_.Recall(alice, id->str());
  ASSERT_THAT(recalled.status(), IsOk());
  EXPECT_EQ(recalled->recalled, (std::vector<std::string>{kOther, "bob@example.org"}));
  EXPECT_EQ(recalled->kept, (std::vector<std::string>{kGuest, "carol@example.org"}));
  EXPECT_EQ(LastAuditType(), "message.recall");
  EXPECT_EQ(AuditEvents().back().details, R"({"guests":1,"kept":2,"members":1})");

  // The withdrawn link opens nothing, its key is gone; the opened one still works.
  UnlockOutcome out;
  EXPECT_THAT(guests_.Unlock(other_link, kMuc, "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(out.failure, UnlockFailure::kNotFound);
  EXPECT_TRUE(store_->guests()
                  .GetPickup(auth::BearerSecret::Parse(other_link)->Lookup())
                  ->wrapped_key.empty());
  EXPECT_THAT(guests_.Unlock(guest_link, kMuc, "192.0.2.1").status(), IsOk());
  // Bob's unread copy left his inbox; carol keeps hers; alice keeps the sent copy.
  EXPECT_THAT(mailbox_.Read(bob, id->str()).status(), StatusIs(ErrorCode::kNotFound));
  auto bob_inbox = mailbox_.List(bob, store::Folder::kInbox, "", 10);
  ASSERT_THAT(bob_inbox.status(), IsOk());
  EXPECT_TRUE(bob_inbox->items.empty());
  EXPECT_THAT(mailbox_.Read(carol, id->str()).status(), IsOk());
  auto status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, "bob@example.org")->status, "recalled");
  EXPECT_EQ(Find(*status, "carol@example.org")->status, "delivered");
  EXPECT_EQ(Find(*status, kOther)->status, "recalled");
  EXPECT_EQ(Find(*status, kGuest)->status, "opened");
  EXPECT_FALSE(status->can_recall);

  // Nothing left: Conflict, and no second audit event.
  const size_t events = AuditEvents().size();
  EXPECT_THAT(sent_.Recall(alice, id->str()).status(), StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(AuditEvents().size(), events);
}

TEST_F(SentStatusTest, RecallBeforeTheNotificationWentDropsIt) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto id = mailbox_.Send(alice, Request({kGuest}, "never told"));
  ASSERT_THAT(id.status(), IsOk());
  ASSERT_EQ(store_->outbox().ListQueuedMail(10)->size(), 1u);
  auto recalled = sent_.Recall(alice, id->str());
  ASSERT_THAT(recalled.status(), IsOk());
  EXPECT_EQ(recalled->recalled, std::vector<std::string>{kGuest});
  EXPECT_TRUE(store_->outbox().ListQueuedMail(10)->empty());
  DeliverQueuedMail();
  EXPECT_TRUE(mailer_.sent.empty());
}

TEST_F(SentStatusTest, ExpiryIsChosenWithinTheLimitAndTheCleanupDropsKeysAndTokens) {
  // The range: 1..max days (90 by default), the default 30.
  EXPECT_EQ(ExpiryLimitsOf(services_.config).default_days, 30);
  EXPECT_EQ(ExpiryLimitsOf(services_.config).max_days, 90);
  EXPECT_THAT(PickupTtlFor(services_.config, 0).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(PickupTtlFor(services_.config, 91).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(PickupTtlFor(services_.config, -1).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(*PickupTtlFor(services_.config, 90), std::chrono::seconds(90 * 24 * 3600));
  EXPECT_EQ(*PickupTtlFor(services_.config, std::nullopt), services_.config.pickup_ttl);

  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest too_long = Request({kGuest}, "too long");
  too_long.expires_in_days = 91;
  EXPECT_THAT(mailbox_.Send(alice, too_long).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(store_->guests().ListPickupsOfAddress(kGuest, 10)->empty());
  EXPECT_TRUE(store_->outbox().ListQueuedMail(10)->empty());

  SendRequest two_days = Request({kGuest}, "two days");
  two_days.expires_in_days = 2;
  const TimePoint sent_at = clock_.Now();
  auto id = mailbox_.Send(alice, two_days);
  ASSERT_THAT(id.status(), IsOk());
  SendRequest other = Request({kOther}, "default");
  auto id2 = mailbox_.Send(alice, other);
  ASSERT_THAT(id2.status(), IsOk());
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), 2u);
  for (const auto& note : mailer_.sent) {
    const TimePoint until =
        note.to.str() == kGuest ? sent_at + 48h : sent_at + services_.config.pickup_ttl;
    EXPECT_NE(note.text.find("works until " + FormatRfc3339(until)), std::string::npos);
  }
  const std::string link = LinkFor(kGuest);
  auto status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(status->expires_at, sent_at + 48h);

  // Opened once (a pickup token is issued), then time runs out.
  ASSERT_THAT(guests_.Unlock(LinkFor(kOther), kMuc, "192.0.2.1").status(), IsOk());
  clock_.Advance(48h);
  UnlockOutcome out;
  EXPECT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(out.failure, UnlockFailure::kNotFound);
  status = StatusOf(alice, *id);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kGuest)->status, "expired");
  EXPECT_FALSE(status->can_recall);
  EXPECT_THAT(sent_.Recall(alice, id->str()).status(), StatusIs(ErrorCode::kConflict));

  auto round = sent_.ExpirePickups();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->expired, 1);
  EXPECT_EQ(round->tokens, 1);  // the other guest's pickup token (15 minutes)
  auto pickup = store_->guests().GetPickup(auth::BearerSecret::Parse(link)->Lookup());
  ASSERT_THAT(pickup.status(), IsOk());
  EXPECT_EQ(pickup->state, store::PickupState::kExpired);
  EXPECT_TRUE(pickup->wrapped_key.empty());
  EXPECT_TRUE(AuditHas("pickup.expired"));
  EXPECT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1").status(), StatusIs(ErrorCode::kNotFound));
  // Once is enough.
  round = sent_.ExpirePickups();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->expired, 0);
  EXPECT_EQ(round->tokens, 0);
  EXPECT_EQ(store_->guests().GetPickup(auth::BearerSecret::Parse(LinkFor(kOther))->Lookup())->state,
            store::PickupState::kOpened);  // its 30 days are not over

  // An opened pickup expires too; the sender still sees that it was opened.
  clock_.Advance(services_.config.pickup_ttl);
  round = sent_.ExpirePickups();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->expired, 1);
  status = StatusOf(alice, *id2);
  ASSERT_THAT(status.status(), IsOk());
  EXPECT_EQ(Find(*status, kOther)->status, "opened");
}

}  // namespace
}  // namespace sealpost::app
