// Delivery status notifications for mail Sealpost sent: a TLS copy leaves with its bounce
// address as envelope sender, a Postfix-style report to that address fails the copy (state,
// evidence, the sender told) once however often it comes, a delayed report marks it deferred, a
// forged address or a report before the copy left changes nothing, and system mail's reports
// are logged.
#include "app/delivery_reports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "app/app_test_fixture.h"
#include "app/key_directory.h"
#include "app/mailbox.h"
#include "app/secure_delivery.h"
#include "app/sent_status.h"
#include "app/system_mail.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kErin = "erin@tls.example";

MATCHER_P(Holds, value, "is OK and holds the value") {
  if (!arg.ok()) {
    *result_listener << "status: " << arg.status().message();
    return false;
  }
  return *arg == value;
}

class RecordingTlsSender final : public delivery::TlsDirectSender {
 public:
  delivery::TlsDeliveryResult Deliver(const delivery::TlsPartnerPolicy&,
                                      const delivery::TlsDirectMessage& message) const override {
    std::lock_guard lock(mu_);
    envelope_from.push_back(message.envelope_from.str());
    delivery::TlsDeliveryResult r;
    r.outcome = delivery::TlsDeliveryOutcome::kDelivered;
    r.host = "mx.tls.example";
    r.reply = "250 2.0.0 Ok: queued as ABC";
    return r;
  }
  mutable std::mutex mu_;
  mutable std::vector<std::string> envelope_from;
};

// A report as Postfix's bounce(8) writes it (delivery status, returned headers).
std::string Report(const std::string& to, const std::string& recipient, const std::string& action,
                   const std::string& status, const std::string& diagnostic) {
  std::string m =
      "From: MAILER-DAEMON@mx.tls.example (Mail Delivery System)\r\n"
      "To: " +
      to +
      "\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
      "--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.tls.example.\r\n"
      "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
      "Reporting-MTA: dns; mx.tls.example\r\n\r\n"
      "Final-Recipient: rfc822; " +
      recipient + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\n";
  if (!diagnostic.empty()) m += "Diagnostic-Code: smtp; " + diagnostic + "\r\n";
  m += "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Quarterly figures\r\n"
       "\r\n--B--\r\n";
  return m;
}

class DeliveryReportsTest : public AppTest {
 protected:
  DeliveryReportsTest() : with_(Make()) {}

  Services Make() {
    AppConfig config = Config();
    config.bounce_domain = "example.org";
    Services s{faults_, *blobs_, master_, audit_, clock_, rng_, mailer_, throttle_, config};
    s.tls_partner = [](std::string_view,
                       std::string_view domain) -> std::optional<delivery::TlsPartnerPolicy> {
      if (domain != "tls.example") return std::nullopt;
      delivery::TlsPartnerPolicy p;
      p.domain = "tls.example";
      return p;
    };
    return s;
  }

  void SetUp() override {
    directory_ = std::make_unique<KeyDirectory>(with_, KeyDirectoryOptions{""});
    with_.key_directory = directory_.get();
    Accounts accounts(with_);
    ASSERT_THAT(accounts.SignUp({"alice@example.org", crypto::SecretString::CopyOf(kPassword),
                                 "Alice", "127.0.0.1"}),
                IsOk());
    ASSERT_THAT(accounts.VerifyEmail(LastToken()).status(), IsOk());
    auto login = accounts.Login("alice@example.org", kPassword, "127.0.0.1");
    ASSERT_THAT(login.status(), IsOk());
    auto ctx = accounts.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    ASSERT_THAT(ctx.status(), IsOk());
    alice_.emplace(std::move(*ctx));
    mailer_.sent.clear();
  }

  // Sends to erin (a TLS copy) and delivers the copy; returns the message and the copy.
  std::pair<MessageId, store::SecureCopyRecord> SendAndDeliver() {
    Mailbox mailbox(with_);
    SendRequest r;
    r.to = {kErin};
    r.subject = "Quarterly figures";
    r.text = "The figures.";
    auto id = mailbox.Send(*alice_, r);
    EXPECT_THAT(id.status(), IsOk());
    auto round = SecureCopyDeliverer(with_, &tls_).DeliverDue();
    EXPECT_THAT(round.status(), IsOk());
    auto copies = store_->secure_delivery().ListCopiesOfMessage(*id);
    EXPECT_THAT(copies.status(), IsOk());
    EXPECT_EQ(copies->size(), 1u);
    return {*id, copies->at(0)};
  }

  std::string BounceOf(const store::SecureCopyRecord& copy) {
    auto a = BounceAddressFor(with_, delivery::BounceKind::kSecureCopy, copy.id.str());
    EXPECT_THAT(a.status(), IsOk());
    return a.ok() ? *a : "";
  }

  RecipientStatus StatusOfErin(const MessageId& id) {
    auto view = Mailbox(with_).Read(*alice_, id.str());
    EXPECT_THAT(view.status(), IsOk());
    auto status = SentMessages(with_).StatusOf(*alice_, view->header);
    EXPECT_THAT(status.status(), IsOk());
    return status->recipients.at(0);
  }

  int Count(const std::string& type) {
    int n = 0;
    for (const auto& e : AuditEvents()) n += e.type == type;
    return n;
  }

  Services with_;
  std::unique_ptr<KeyDirectory> directory_;
  std::optional<AuthContext> alice_;
  RecordingTlsSender tls_;
};

TEST_F(DeliveryReportsTest, AFailedReportFailsTheCopyOnceAndTellsTheSender) {
  const auto [message, copy] = SendAndDeliver();
  ASSERT_EQ(copy.state, store::SecureCopyState::kDelivered);
  // The copy left with its own bounce address.
  const std::string bounce = BounceOf(copy);
  ASSERT_EQ(tls_.envelope_from.size(), 1u);
  EXPECT_EQ(tls_.envelope_from[0], bounce);
  EXPECT_THAT(bounce, StartsWith("bounces+c" + copy.id.str() + "-"));
  DeliveryReports reports(with_);
  EXPECT_THAT(reports.IsDeliveryReportAddress(bounce), Holds(true));

  const std::string dsn = Report(bounce, kErin, "failed", "5.1.1",
                                 "550 5.1.1 <erin@tls.example>: Recipient address rejected: "
                                 "User unknown");
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, dsn), Holds(ReportOutcome::kRecordedFailure));
  const RecipientStatus erin = StatusOfErin(message);
  EXPECT_EQ(erin.status, "failed");
  EXPECT_EQ(erin.detail, "550 5.1.1 <erin@tls.example>: Recipient address rejected: User unknown");
  // Evidence, as when the queue gives up (so the receipts show a consignment failure).
  const auto events = AuditEvents();
  const store::AuditEvent* failed = nullptr;
  for (const auto& e : events) {
    if (e.type == "delivery.failed") failed = &e;
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->subject, message.str());
  const auto details = nlohmann::json::parse(failed->details);
  EXPECT_EQ(details.value("recipient", ""), kErin);
  EXPECT_EQ(details.value("copy", ""), copy.id.str());
  EXPECT_TRUE(details.value("report", false));
  EXPECT_THAT(details.value("error", ""), HasSubstr("User unknown"));
  ASSERT_THAT(MailDeliverer(with_).DeliverDue().status(), IsOk());
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].to.str(), "alice@example.org");
  EXPECT_THAT(mailer_.sent[0].text, HasSubstr(kErin));
  EXPECT_THAT(mailer_.sent[0].text, HasSubstr("User unknown"));
  // System mail leaves with its own bounce address too.
  EXPECT_THAT(mailer_.sent[0].envelope_sender, StartsWith("bounces+m"));
  EXPECT_THAT(mailer_.sent[0].envelope_sender, HasSubstr("@example.org"));

  // The same report again (servers resend), and a delay report after it: nothing changes.
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, dsn), Holds(ReportOutcome::kUnchanged));
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, Report(bounce, kErin, "delayed", "4.4.1", "")),
              Holds(ReportOutcome::kUnchanged));
  EXPECT_EQ(Count("delivery.failed"), 1);
  ASSERT_THAT(MailDeliverer(with_).DeliverDue().status(), IsOk());
  EXPECT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(StatusOfErin(message).status, "failed");
}

TEST_F(DeliveryReportsTest, ADelayedReportMarksTheCopyDeferredUntilItFails) {
  const auto [message, copy] = SendAndDeliver();
  const std::string bounce = BounceOf(copy);
  DeliveryReports reports(with_);
  const std::string delayed =
      Report(bounce, kErin, "delayed", "4.4.1", "451 4.4.1 mailbox temporarily unavailable");
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, delayed), Holds(ReportOutcome::kRecordedDelay));
  RecipientStatus erin = StatusOfErin(message);
  EXPECT_EQ(erin.status, "deferred");
  EXPECT_EQ(erin.detail,
            "still trying at mx.tls.example: 451 4.4.1 mailbox temporarily unavailable");
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, delayed), Holds(ReportOutcome::kUnchanged));
  // Not ours to send again.
  auto round = SecureCopyDeliverer(with_, &tls_).DeliverDue();
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->delivered + round->retried + round->failed, 0);
  EXPECT_EQ(Count("delivery.failed"), 0);
  // A success report changes nothing; a failure report fails it.
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, Report(bounce, kErin, "delivered", "2.0.0", "")),
              Holds(ReportOutcome::kUnchanged));
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, Report(bounce, kErin, "failed", "5.4.7", "")),
              Holds(ReportOutcome::kRecordedFailure));
  erin = StatusOfErin(message);
  EXPECT_EQ(erin.status, "failed");
  EXPECT_EQ(erin.detail, "status 5.4.7 (mx.tls.example)");
}

TEST_F(DeliveryReportsTest, AForgedOrForeignAddressOrAnEarlyReportChangesNothing) {
  const auto [message, copy] = SendAndDeliver();
  const std::string bounce = BounceOf(copy);
  DeliveryReports reports(with_);
  const std::string dsn = Report(bounce, kErin, "failed", "5.1.1", "550 5.1.1 unknown");
  // One character of the tag changed.
  std::string forged = bounce;
  const size_t at = forged.find('@');
  forged[at - 1] = forged[at - 1] == 'a' ? 'b' : 'a';
  EXPECT_THAT(reports.IsDeliveryReportAddress(forged), Holds(false));
  EXPECT_THAT(reports.HandleDeliveryReport(forged, dsn).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(reports.IsDeliveryReportAddress("alice@example.org"), Holds(false));
  EXPECT_THAT(reports.HandleDeliveryReport("alice@example.org", dsn).status(),
              StatusIs(ErrorCode::kNotFound));
  // Not a report at all.
  EXPECT_THAT(
      reports.HandleDeliveryReport(bounce, "Subject: hello\r\n\r\nUndelivered\r\n").status(),
      StatusIs(ErrorCode::kInvalidArgument));
  // A report about another recipient of a multi-recipient report: not this copy's.
  std::string other = Report(bounce, "zed@tls.example", "failed", "5.1.1", "550 unknown");
  other.replace(other.find("Action: failed"), 0,
                "Action: failed\r\nStatus: 5.1.1\r\n\r\nFinal-Recipient: rfc822; "
                "yan@tls.example\r\n");
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, other), Holds(ReportOutcome::kUnchanged));
  EXPECT_EQ(StatusOfErin(message).status, "delivered");
  EXPECT_EQ(Count("delivery.failed"), 0);

  // A report about a copy still in our queue: try again later (451).
  Mailbox mailbox(with_);
  SendRequest r;
  r.to = {kErin};
  r.subject = "Second";
  r.text = "Second.";
  auto second = mailbox.Send(*alice_, r);
  ASSERT_THAT(second.status(), IsOk());
  auto copies = store_->secure_delivery().ListCopiesOfMessage(*second);
  ASSERT_THAT(copies.status(), IsOk());
  const std::string queued_bounce = BounceOf(copies->at(0));
  EXPECT_THAT(reports
                  .HandleDeliveryReport(queued_bounce, Report(queued_bounce, kErin, "failed",
                                                              "5.1.1", "550 5.1.1 unknown"))
                  .status(),
              StatusIs(ErrorCode::kUnavailable));
}

TEST_F(DeliveryReportsTest, ASystemMailsFailureIsLoggedOnce) {
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return QueueMail(with_, tx.outbox(),
                     InvitationMail(with_.config, *EmailAddress::Parse("nobody@else.example")));
  }),
              IsOk());
  ASSERT_THAT(MailDeliverer(with_).DeliverDue().status(), IsOk());
  ASSERT_EQ(mailer_.sent.size(), 1u);
  const std::string bounce = mailer_.sent[0].envelope_sender;
  ASSERT_THAT(bounce, StartsWith("bounces+m"));
  DeliveryReports reports(with_);
  const std::string dsn =
      Report(bounce, "nobody@else.example", "failed", "5.1.1", "550 5.1.1 no such user");
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, dsn), Holds(ReportOutcome::kRecordedFailure));
  EXPECT_THAT(reports.HandleDeliveryReport(bounce, dsn), Holds(ReportOutcome::kUnchanged));
  int reported = 0;
  for (const auto& e : AuditEvents()) {
    if (e.type != "mail.failed") continue;
    const auto details = nlohmann::json::parse(e.details);
    EXPECT_TRUE(details.value("report", false));
    EXPECT_EQ(details.value("error", ""), "550 5.1.1 no such user");
    ++reported;
  }
  EXPECT_EQ(reported, 1);
}

TEST_F(DeliveryReportsTest, WithoutABounceDomainMailKeepsTheMailersSender) {
  Services plain = with_;
  plain.config.bounce_domain.clear();
  EXPECT_THAT(BounceAddressFor(plain, delivery::BounceKind::kSecureCopy, std::string(32, 'a')),
              Holds(std::string()));
  EXPECT_THAT(DeliveryReports(plain).IsDeliveryReportAddress("bounces+x@example.org"),
              Holds(false));
}

}  // namespace
}  // namespace sealpost::app
