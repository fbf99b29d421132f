#include "app/outbound_mail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;

class OutboundMailTest : public AppTest {
 protected:
  OutboundMailTest() : deliverer_(services_) {}

  void Queue(const std::string& to, const std::string& text,
             std::optional<EmailAddress> report_to = std::nullopt) {
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
      return QueueMail(services_, tx.outbox(), {*EmailAddress::Parse(to), "subject", text},
                       report_to);
    }),
                IsOk());
  }

  DeliveryRound Deliver() {
    auto round = deliverer_.DeliverDue();
    EXPECT_THAT(round.status(), IsOk());
    return round.ok() ? *round : DeliveryRound{};
  }

  std::vector<store::OutboundMailRecord> Queued() { return *store_->outbox().ListQueuedMail(100); }

  MailDeliverer deliverer_;
};

TEST_F(OutboundMailTest, QueuedMailIsSealedAtRestAndDeliveredOnce) {
  Queue("carol@example.org", "secret link https://x/#token=MARKER");
  const auto queued = Queued();
  ASSERT_EQ(queued.size(), 1u);
  const std::string at_rest(queued[0].sealed_mail.begin(), queued[0].sealed_mail.end());
  EXPECT_EQ(at_rest.find("MARKER"), std::string::npos);
  EXPECT_EQ(at_rest.find("carol"), std::string::npos);

  const size_t before = mailer_.sent.size();
  EXPECT_EQ(Deliver().delivered, 1);
  ASSERT_EQ(mailer_.sent.size(), before + 1);
  EXPECT_EQ(mailer_.sent.back().to.str(), "carol@example.org");
  EXPECT_THAT(mailer_.sent.back().text, HasSubstr("MARKER"));
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(Deliver().delivered, 0);  // once
  EXPECT_EQ(mailer_.sent.size(), before + 1);
  EXPECT_EQ(LastAuditType(), "mail.sent");
}

TEST_F(OutboundMailTest, TransientFailuresRetryWithGrowingBackoffThenGiveUpAndReport) {
  Queue("carol@example.org", "hello", *EmailAddress::Parse("alice@example.org"));
  mailer_.fail_with = Unavailable("relay down");
  EXPECT_EQ(Deliver().retried, 1);
  auto queued = Queued();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].attempts, 1);
  EXPECT_EQ(queued[0].last_error, "relay down");
  EXPECT_EQ(queued[0].next_attempt_at, clock_.Now() + 60s);

  EXPECT_EQ(Deliver().retried, 0);  // not due yet
  clock_.Advance(60s);
  EXPECT_EQ(Deliver().retried, 1);
  EXPECT_EQ(Queued()[0].next_attempt_at, clock_.Now() + 120s);  // doubled

  // Past give_up_after (24 h): dropped, audited, and the member it was sent for is told.
  const TimePoint queued_at = clock_.Now() - 60s;
  bool gave_up = false;
  for (int i = 0; i < 40 && !gave_up; ++i) {
    clock_.Advance(3600s);
    gave_up = Deliver().failed == 1;
  }
  ASSERT_TRUE(gave_up);
  EXPECT_GE(clock_.Now() - queued_at, 23h);
  EXPECT_LE(clock_.Now() - queued_at, 25h);
  mailer_.fail_with = Status::Ok();
  const auto left = Queued();
  ASSERT_EQ(left.size(), 1u) << "only the failure report is left";
  EXPECT_EQ(Deliver().delivered, 1);
  EXPECT_EQ(mailer_.sent.back().to.str(), "alice@example.org");
  EXPECT_THAT(mailer_.sent.back().text, HasSubstr("could not be delivered to carol@example.org"));
  EXPECT_THAT(mailer_.sent.back().text, HasSubstr("relay down"));
  EXPECT_TRUE(Queued().empty());
  EXPECT_TRUE(AuditHas("mail.failed"));
}

TEST_F(OutboundMailTest, PermanentRefusalIsNotRetried) {
  Queue("carol@example.org", "hello");
  mailer_.fail_with = InvalidArgument("550 5.7.1 refused");
  const DeliveryRound round = Deliver();
  EXPECT_EQ(round.failed, 1);
  EXPECT_EQ(round.retried, 0);
  EXPECT_TRUE(Queued().empty());  // no report: nobody to tell
  EXPECT_EQ(LastAuditType(), "mail.failed");
}

TEST_F(OutboundMailTest, ALeasedMailIsLeftToItsDelivererUntilTheLeaseRunsOut) {
  Queue("carol@example.org", "hello");
  // Another deliverer claimed it and died before finishing.
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.outbox().ClaimDueMail(clock_.Now(), clock_.Now() + 300s, 10).status();
  }),
              IsOk());
  EXPECT_EQ(Deliver().delivered, 0);
  clock_.Advance(301s);
  EXPECT_EQ(Deliver().delivered, 1);
}

TEST_F(OutboundMailTest, AMailSentAgainKeepsItsMessageId) {
  Queue("carol@example.org", "hello");
  const std::string job_id = Queued()[0].id.str();
  EXPECT_EQ(Deliver().delivered, 1);
  EXPECT_EQ(mailer_.sent.back().message_id, job_id);
}

// A mailer that takes a whole batch in one call and answers per mail: refused, transient or OK.
class BatchMailer final : public delivery::Mailer {
 public:
  Status Send(const delivery::OutgoingMail&) override {
    return Internal("the deliverer must use SendBatch");
  }
  std::vector<Status> SendBatch(std::span<const delivery::OutgoingMail> mails) override {
    ++batches;
    std::vector<Status> out;
    for (const auto& m : mails) {
      const std::string to = m.to.str();
      out.push_back(to.starts_with("refused") ? InvalidArgument("550 no such user")
                    : to.starts_with("later") ? Unavailable("450 try later")
                                              : Status::Ok());
      if (out.back().ok()) sent.push_back(to);
    }
    return out;
  }
  int batches = 0;
  std::vector<std::string> sent;
};

TEST_F(OutboundMailTest, ABatchGoesToTheMailerAtOnceAndEachMailGetsItsOwnOutcome) {
  BatchMailer batch_mailer;
  Services s{*store_, *blobs_, master_, audit_, clock_, rng_, batch_mailer, throttle_, Config()};
  for (const char* to : {"a@example.org", "refused@example.org", "b@example.org",
                         "later@example.org", "c@example.org"}) {
    Queue(to, "hello");
  }
  auto round = MailDeliverer(s).DeliverDue(10);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(batch_mailer.batches, 1);
  EXPECT_EQ(round->delivered, 3);
  EXPECT_EQ(round->failed, 1);
  EXPECT_EQ(round->retried, 1);
  EXPECT_THAT(batch_mailer.sent,
              ::testing::UnorderedElementsAre("a@example.org", "b@example.org", "c@example.org"));
  const auto left = Queued();
  ASSERT_EQ(left.size(), 1u);  // only the transient one waits for its retry
  EXPECT_EQ(left[0].attempts, 1);
  // Nothing delivered is sent again.
  round = MailDeliverer(s).DeliverDue(10);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 0);
  EXPECT_EQ(batch_mailer.sent.size(), 3u);
}

TEST_F(OutboundMailTest, SignUpQueuesTheConfirmationInItsOwnTransaction) {
  const size_t before = mailer_.sent.size();
  ASSERT_THAT(accounts_.SignUp(
                  {"dave@example.org", crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
              IsOk());
  EXPECT_EQ(mailer_.sent.size(), before);  // queued, not sent inline
  ASSERT_EQ(Queued().size(), 1u);
  EXPECT_EQ(Deliver().delivered, 1);
  EXPECT_THAT(mailer_.sent.back().text, HasSubstr("/verify#token="));
}

// A recall drops a pickup's queued notification, possibly while a deliverer is sending it: the
// round goes on with the rest of its batch instead of failing on the vanished mail.
class RecallingMailer final : public delivery::Mailer {
 public:
  explicit RecallingMailer(store::Store& store) : store_(store) {}
  Status Send(const delivery::OutgoingMail& mail) override {
    sent.push_back(mail.to.str());
    return store_.Write(
        [](store::WriteTxn& tx) { return tx.outbox().DeleteMailOfPickup("pickup-1"); });
  }
  store::Store& store_;
  std::vector<std::string> sent;
};

TEST_F(OutboundMailTest, AMailWithdrawnWhileBeingSentDoesNotStopTheRound) {
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(QueueMail(services_, tx.outbox(),
                                 {*EmailAddress::Parse("guest@example.net"), "s", "link"},
                                 std::nullopt, std::string("pickup-1")));
    return QueueMail(services_, tx.outbox(), {*EmailAddress::Parse("other@example.net"), "s", "t"});
  }),
              IsOk());
  RecallingMailer mailer(*store_);
  Services services{*store_, *blobs_, master_, audit_, clock_, rng_, mailer, throttle_, Config()};
  auto round = MailDeliverer(services).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered, 2);
  EXPECT_EQ(mailer.sent.size(), 2u);
  EXPECT_TRUE(Queued().empty());
}

}  // namespace
}  // namespace sealpost::app
