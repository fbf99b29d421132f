#include "mime/delivery_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "crypto/security_policy.h"

namespace sealpost::mime {
namespace {

using crypto::policy::kDeliveryReport;

std::string Crlf(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// The layout Postfix's bounce(8) writes (postfix 3.7, RET=HDRS: text/rfc822-headers).
const char* const kPostfixBounce = R"(Return-Path: <>
From: MAILER-DAEMON@mx.partner.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces+c0123-abc@sealpost.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="8A1C2E0B7F.1733400000/mx.partner.example"
Message-Id: <20261205193000.8A1C2E0B7F@mx.partner.example>

This is a MIME-encapsulated message.

--8A1C2E0B7F.1733400000/mx.partner.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.partner.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@partner.example>: host mail.partner.example[192.0.2.7] said: 550 5.1.1
    <bob@partner.example>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

--8A1C2E0B7F.1733400000/mx.partner.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.partner.example
X-Postfix-Queue-ID: 8A1C2E0B7F
X-Postfix-Sender: rfc822; bounces+c0123-abc@sealpost.example
Arrival-Date: Sat,  5 Dec 2026 19:29:58 +0000 (UTC)

Final-Recipient: rfc822; bob@partner.example
Original-Recipient: rfc822;bob@partner.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.partner.example
Diagnostic-Code: smtp; 550 5.1.1 <bob@partner.example>: Recipient address
    rejected: User unknown

--8A1C2E0B7F.1733400000/mx.partner.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Alice <alice@sealpost.example>
To: bob@partner.example
Subject: Contract
Message-ID: <c0123@sealpost.example>
Date: Sat, 5 Dec 2026 19:29:57 +0000

--8A1C2E0B7F.1733400000/mx.partner.example--
)";

// The layout Exchange Online writes: the returned message is attached whole (message/rfc822),
// the status part names the recipient in angle brackets, no Original-Recipient, and a second
// recipient that was only delayed.
const char* const kExchangeBounce =
    R"(From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.example>
To: <bounces+c0456-def@sealpost.example>
Subject: Undeliverable: Offer
MIME-Version: 1.0
Content-Type: multipart/report; report-type="Delivery-Status";
	boundary="_000_b6d4_"
Message-ID: <b6d4e0f1@DM6PR.namprd.prod.outlook.com>

--_000_b6d4_
Content-Type: multipart/alternative; boundary="_001_b6d4_"

--_001_b6d4_
Content-Type: text/plain; charset="us-ascii"

Your message to carol@contoso.example couldn't be delivered.

--_001_b6d4_
Content-Type: text/html; charset="us-ascii"

<html><body><p>Your message couldn't be delivered.</p></body></html>

--_001_b6d4_--

--_000_b6d4_
Content-Type: message/delivery-status

Reporting-MTA: dns;DM6PR.namprd.prod.outlook.com
Received-From-MTA: dns;sealpost.example
Arrival-Date: Sat, 5 Dec 2026 19:29:58 +0000

Final-Recipient: rfc822;<carol@contoso.example>
Action: failed
Status: 5.4.1
Diagnostic-Code: smtp;550 5.4.1 Recipient address rejected: Access denied.
 AS(201806281) [DM6PR.namprd.prod.outlook.com 2026-12-05T19:29:58.000Z]

Final-Recipient: rfc822;dave@contoso.example
Action: Delayed (still trying)
Status: 4.4.7
Will-Retry-Until: Sun, 6 Dec 2026 19:29:58 +0000

--_000_b6d4_
Content-Type: message/rfc822

From: Alice <alice@sealpost.example>
To: carol@contoso.example, dave@contoso.example
Subject: Offer
Message-ID: <c0456@sealpost.example>
MIME-Version: 1.0
Content-Type: text/plain

The offer.

--_000_b6d4_--
)";

TEST(DeliveryReport, ReadsAPostfixBounce) {
  auto report = ParseDeliveryReport(Crlf(kPostfixBounce));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->reporting_mta, "mx.partner.example");
  ASSERT_EQ(report->recipients.size(), 1u);
  const RecipientReport& r = report->recipients[0];
  EXPECT_EQ(r.final_recipient, "bob@partner.example");
  EXPECT_EQ(r.original_recipient, "bob@partner.example");
  EXPECT_EQ(r.action, DeliveryAction::kFailed);
  EXPECT_EQ(r.status, "5.1.1");
  EXPECT_EQ(r.remote_mta, "mail.partner.example");
  // Unfolded, the type removed.
  EXPECT_EQ(r.diagnostic,
            "550 5.1.1 <bob@partner.example>: Recipient address rejected: User unknown");
  EXPECT_EQ(report->original_message_id, "c0123@sealpost.example");
}

TEST(DeliveryReport, ReadsLfOnlyLineEndsToo) {
  auto report = ParseDeliveryReport(kPostfixBounce);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->recipients.at(0).status, "5.1.1");
}

TEST(DeliveryReport, ReadsAnExchangeBounceWithTwoRecipients) {
  auto report = ParseDeliveryReport(Crlf(kExchangeBounce));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->reporting_mta, "DM6PR.namprd.prod.outlook.com");
  ASSERT_EQ(report->recipients.size(), 2u);
  EXPECT_EQ(report->recipients[0].final_recipient, "carol@contoso.example");
  EXPECT_EQ(report->recipients[0].original_recipient, "");
  EXPECT_EQ(report->recipients[0].action, DeliveryAction::kFailed);
  EXPECT_EQ(report->recipients[0].status, "5.4.1");
  EXPECT_THAT(report->recipients[0].diagnostic,
              testing::StartsWith("550 5.4.1 Recipient address rejected: Access denied. AS("));
  EXPECT_EQ(report->recipients[1].final_recipient, "dave@contoso.example");
  EXPECT_EQ(report->recipients[1].action, DeliveryAction::kDelayed);  // comment ignored
  EXPECT_EQ(report->recipients[1].status, "4.4.7");
  EXPECT_EQ(report->original_message_id, "c0456@sealpost.example");
}

std::string Report(std::string_view status_body, std::string_view report_type = "delivery-status",
                   std::string_view status_type = "message/delivery-status") {
  std::string m = "From: MAILER-DAEMON@example.org\r\nTo: x@example.net\r\nMIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=" + std::string(report_type) +
       "; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nBounced.\r\n--b\r\n";
  m += "Content-Type: " + std::string(status_type) + "\r\n\r\n";
  m += Crlf(status_body);
  m += "\r\n--b--\r\n";
  return m;
}

TEST(DeliveryReport, ReadsAGlobalDeliveryStatus) {
  auto report = ParseDeliveryReport(
      Report("Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: utf-8; jörg@example.net\n"
             "Action: failed\nStatus: 5.1.1\n",
             "global-delivery-status", "message/global-delivery-status"));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->recipients.at(0).final_recipient, "jörg@example.net");
  EXPECT_EQ(report->original_message_id, "");  // nothing returned
}

TEST(DeliveryReport, ReadsAReportWithoutThePerMessageGroup) {
  auto report =
      ParseDeliveryReport(Report("Final-Recipient: rfc822; a@example.net\nAction: delivered\n"));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->recipients.at(0).action, DeliveryAction::kDelivered);
  EXPECT_EQ(report->recipients.at(0).status, "");
}

TEST(DeliveryReport, KeepsAnUnknownActionAndDropsAMalformedStatus) {
  auto report = ParseDeliveryReport(
      Report("Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@example.net\nAction: exploded\n"
             "Status: 5.1.1.1\n\nFinal-Recipient: rfc822; b@example.net\nAction: relayed\n"
             "Status: 9.0.0\n\nFinal-Recipient: rfc822; c@example.net\nAction: failed\n"
             "Status: 5.7.1234\n"));
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->recipients.size(), 3u);
  EXPECT_EQ(report->recipients[0].action, DeliveryAction::kUnknown);
  EXPECT_EQ(report->recipients[0].status, "");
  EXPECT_EQ(report->recipients[1].action, DeliveryAction::kRelayed);
  EXPECT_EQ(report->recipients[1].status, "");
  EXPECT_EQ(report->recipients[2].status, "");
}

TEST(DeliveryReport, RefusesWhatIsNotADeliveryReport) {
  // A plain message, even one that reads like a bounce.
  EXPECT_EQ(ParseDeliveryReport("From: a@example.org\r\nSubject: Undelivered\r\n\r\n"
                                "Final-Recipient: rfc822; b@example.org\r\nAction: failed\r\n")
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  // multipart/report of another kind (RFC 8098 disposition notification).
  EXPECT_EQ(ParseDeliveryReport(Report("Final-Recipient: rfc822; a@x\nAction: failed\n",
                                       "disposition-notification"))
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  // No status part.
  EXPECT_EQ(ParseDeliveryReport(Report("Final-Recipient: rfc822; a@x\nAction: failed\n",
                                       "delivery-status", "text/plain"))
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  // Groups without Final-Recipient or Action.
  EXPECT_EQ(ParseDeliveryReport(Report("Reporting-MTA: dns; mx\n\nAction: failed\n\n"
                                       "Final-Recipient: rfc822; a@x\n\nFinal-Recipient: rfc822;\n"
                                       "Action: failed\n"))
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ParseDeliveryReport("").ok());
  EXPECT_FALSE(ParseDeliveryReport("\r\n\r\n").ok());
}

TEST(DeliveryReport, CleansControlCharactersAndBadUtf8AndCutsLongValues) {
  std::string body =
      "Final-Recipient: rfc822; a@example.net\nAction: failed\nDiagnostic-Code: "
      "smtp; 550 bad\x01\x1b[31m\xff\xfe text ";
  body += std::string(5000, 'x');
  body += "\n";
  auto report = ParseDeliveryReport(Report(body));
  ASSERT_TRUE(report.ok()) << report.status().message();
  const std::string& d = report->recipients.at(0).diagnostic;
  EXPECT_LE(d.size(), kDeliveryReport.max_value_bytes);
  EXPECT_THAT(d, testing::StartsWith("550 bad [31m"));
  for (const char c : d) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  EXPECT_NE(d.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD for the invalid bytes
}

TEST(DeliveryReport, ReadsAtMostTheRecipientLimit) {
  std::string body = "Reporting-MTA: dns; mx\n";
  for (size_t i = 0; i < kDeliveryReport.max_recipients + 50; ++i) {
    body += "\nFinal-Recipient: rfc822; r" + std::to_string(i) + "@example.net\nAction: failed\n";
  }
  auto report = ParseDeliveryReport(Report(body));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->recipients.size(), kDeliveryReport.max_recipients);
}

TEST(DeliveryReport, RefusesAMimeBomb) {
  std::string m =
      "Content-Type: multipart/report; report-type=delivery-status; boundary=b0\r\n\r\n";
  for (int i = 1; i < 1000; ++i) {
    m += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=b" +
         std::to_string(i) + "\r\n\r\n";
  }
  auto report = ParseDeliveryReport(m);
  EXPECT_FALSE(report.ok());
}

}  // namespace
}  // namespace sealpost::mime
