#include "receipts/evidence_document.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::receipts {
namespace {

EvidenceDocument Sample() {
  EvidenceDocument d;
  d.event = EvidenceEvent::kSubmissionAcceptance;
  d.message_id = "m-1";
  d.sealed_digest_hex = std::string(64, 'a');
  d.sender = "alice@example.org";
  d.recipient = "bob@example.org";
  d.delivery_method = DeliveryMethod::kSmtp;
  d.time_ms = 1'796'000'000'123;
  d.log_origin = "example.org/log";
  d.log_index = 42;
  return d;
}

// Written by hand from the format page (docs/formats/receipt.md), not from the encoder.
constexpr std::string_view kSampleText =
    "sealpost-evidence/v1\n"
    "event: SubmissionAcceptance\n"
    "message-id: m-1\n"
    "sealed-digest: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "sender: alice@example.org\n"
    "recipient: bob@example.org\n"
    "delivery-method: smtp\n"
    "time: 2026-11-30T00:53:20.123Z\n"
    "reason: -\n"
    "log-origin: example.org/log\n"
    "log-index: 42\n";

TEST(EvidenceDocumentTest, EncodesTheDocumentedForm) {
  auto text = EncodeEvidenceDocument(Sample());
  ASSERT_THAT(text.status(), IsOk());
  EXPECT_EQ(*text, kSampleText);
  auto back = ParseEvidenceDocument(*text);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, Sample());
}

TEST(EvidenceDocumentTest, RefusesEveryNonCanonicalVariant) {
  const std::string good(kSampleText);
  const auto replaced = [&good](std::string_view from, std::string_view to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  for (const std::string& bad : {
           good.substr(0, good.size() - 1),              // no final newline
           good + "extra: x\n",                          // extra line
           replaced("log-index: 42", "log-index: 042"),  // leading zero
           replaced("event: ", "event:  "),              // two spaces
           replaced("SubmissionAcceptance", "submissionacceptance"),
           replaced("aaaa", "AAAA"),                           // upper-case hex
           replaced(".123Z", "Z"),                             // no milliseconds
           replaced("2026-11-30", "2026-11-31"),               // no such day
           replaced("smtp", "fax"),                            // unknown method
           replaced("m-1", "m\t1"),                            // control character
           replaced("reason: -", "reason: "),                  // empty reason
           replaced("sender: alice", "sender: \xc3\xa9lice"),  // not ASCII
           replaced("sender: alice@example.org\n", ""),        // missing line
       }) {
    EXPECT_FALSE(ParseEvidenceDocument(bad).ok()) << bad;
  }
}

TEST(EvidenceDocumentTest, EveryEventHasAnEtsiNameThatRoundTrips) {
  for (int i = 0; i <= static_cast<int>(EvidenceEvent::kAcceptanceRejectionExpiry); ++i) {
    const auto e = static_cast<EvidenceEvent>(i);
    EXPECT_FALSE(EvidenceEventName(e).empty());
    EXPECT_EQ(ParseEvidenceEventName(EvidenceEventName(e)), e);
  }
  EXPECT_FALSE(ParseEvidenceEventName("Delivery").has_value());
}

// The identifiers of ETSI EN 319 522 (http://uri.etsi.org/19522/Event/<name>; part 1 clause 6
// names the events A.1 … E.2), copied from the standard's list, not from the table in the code.
TEST(EvidenceDocumentTest, EventNamesAreTheStandardsIdentifiers) {
  const std::pair<EvidenceEvent, std::string_view> expected[] = {
      {EvidenceEvent::kSubmissionAcceptance, "SubmissionAcceptance"},            // A.1
      {EvidenceEvent::kSubmissionRejection, "SubmissionRejection"},              // A.2
      {EvidenceEvent::kConsignmentAcceptance, "ConsignmentAcceptance"},          // C.3
      {EvidenceEvent::kConsignmentRejection, "ConsignmentRejection"},            // C.4
      {EvidenceEvent::kAcceptanceRejectionExpiry, "AcceptanceRejectionExpiry"},  // C.5
      {EvidenceEvent::kContentConsignment, "ContentConsignment"},                // D.1
      {EvidenceEvent::kContentConsignmentFailure, "ContentConsignmentFailure"},  // D.2
      {EvidenceEvent::kContentHandover, "ContentHandover"},                      // E.1
      {EvidenceEvent::kContentHandoverFailure, "ContentHandoverFailure"},        // E.2
  };
  for (const auto& [event, name] : expected) EXPECT_EQ(EvidenceEventName(event), name);
  // The former names are no event name of their own: only a document still reads them.
  EXPECT_FALSE(ParseEvidenceEventName("AcceptanceByRecipient").has_value());
  EXPECT_FALSE(ParseEvidenceEventName("RejectionByRecipient").has_value());
}

// Receipts issued before the rename keep verifying: the former names parse as the standard's
// event and the document re-encodes to its own bytes (canonical form kept).
TEST(EvidenceDocumentTest, FormerRegisteredMailNamesStillParseAndRoundTrip) {
  const std::string good(kSampleText);
  for (const auto& [former, event] :
       {std::pair<std::string_view, EvidenceEvent>{"AcceptanceByRecipient",
                                                   EvidenceEvent::kConsignmentAcceptance},
        {"RejectionByRecipient", EvidenceEvent::kConsignmentRejection}}) {
    std::string text = good;
    text.replace(text.find("SubmissionAcceptance"), 20, former);
    auto d = ParseEvidenceDocument(text);
    ASSERT_THAT(d.status(), IsOk()) << former;
    EXPECT_EQ(d->event, event);
    EXPECT_TRUE(d->legacy_event_name);
    auto again = EncodeEvidenceDocument(*d);
    ASSERT_THAT(again.status(), IsOk());
    EXPECT_EQ(*again, text);
    // Issued today, the same event carries its standard name.
    d->legacy_event_name = false;
    EXPECT_THAT(*EncodeEvidenceDocument(*d),
                ::testing::HasSubstr("event: " + std::string(EvidenceEventName(event))));
  }
  // No other event had another name: the flag on one of them is refused, not written.
  EvidenceDocument d = Sample();
  d.legacy_event_name = true;
  EXPECT_THAT(EncodeEvidenceDocument(d).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(EvidenceDocumentTest, LeafMustRecordTheEvent) {
  EvidenceDocument d = Sample();
  tlog::LogEntry entry;
  entry.event = {d.time_ms, "message.send", "u-1", "m-1", R"({"recipients":1})"};
  EXPECT_THAT(CheckLeafRecordsEvent(entry, d), IsOk());
  tlog::LogEntry other = entry;
  other.event.subject = "m-2";
  EXPECT_THAT(CheckLeafRecordsEvent(other, d), StatusIs(ErrorCode::kUnauthenticated));
  other = entry;
  other.event.time_ms += 1;
  EXPECT_THAT(CheckLeafRecordsEvent(other, d), StatusIs(ErrorCode::kUnauthenticated));
  other = entry;
  other.event.type = "pickup.unlock";
  EXPECT_THAT(CheckLeafRecordsEvent(other, d), StatusIs(ErrorCode::kUnauthenticated));
  d.event = EvidenceEvent::kContentHandover;
  other.event.details = R"({"recipient":"carol@example.org"})";
  EXPECT_THAT(CheckLeafRecordsEvent(other, d), StatusIs(ErrorCode::kUnauthenticated));
  other.event.details = R"({"recipient":"bob@example.org"})";
  EXPECT_THAT(CheckLeafRecordsEvent(other, d), IsOk());
}

// A send leaf names recipient, method, sender and sealed digest: each binds the document.
TEST(EvidenceDocumentTest, SendLeafBindsMethodSenderAndDigest) {
  EvidenceDocument d = Sample();
  d.delivery_method = DeliveryMethod::kMailbox;
  const std::string digest(64, 'a');
  tlog::LogEntry entry;
  entry.event = {d.time_ms, "message.send", "u-1", "m-1",
                 R"({"recipient":"bob@example.org","method":"mailbox",)"
                 R"("sender":"alice@example.org","sealed_digest":")" +
                     digest + R"("})"};
  EXPECT_THAT(CheckLeafRecordsEvent(entry, d), IsOk());
  d.event = EvidenceEvent::kContentConsignment;
  EXPECT_THAT(CheckLeafRecordsEvent(entry, d), IsOk());

  EvidenceDocument other = d;
  other.delivery_method = DeliveryMethod::kPickup;
  EXPECT_THAT(CheckLeafRecordsEvent(entry, other), StatusIs(ErrorCode::kUnauthenticated));
  other = d;
  other.sender = "mallory@example.org";
  EXPECT_THAT(CheckLeafRecordsEvent(entry, other), StatusIs(ErrorCode::kUnauthenticated));
  other = d;
  other.sealed_digest_hex = std::string(64, 'b');
  EXPECT_THAT(CheckLeafRecordsEvent(entry, other), StatusIs(ErrorCode::kUnauthenticated));

  // A guest's send leaf attests the submission, not a consignment (that is pickup.notified).
  tlog::LogEntry pickup = entry;
  pickup.event.details = R"({"recipient":"bob@example.org","method":"pickup"})";
  other = d;
  other.delivery_method = DeliveryMethod::kPickup;
  EXPECT_THAT(CheckLeafRecordsEvent(pickup, other), StatusIs(ErrorCode::kUnauthenticated));
  other.event = EvidenceEvent::kSubmissionAcceptance;
  EXPECT_THAT(CheckLeafRecordsEvent(pickup, other), IsOk());
}

// A secure copy's leaves name the precise method (smime, openpgp, tls); receipts name it smtp.
TEST(EvidenceDocumentTest, SecureCopyLeavesAttestSmtpConsignment) {
  EXPECT_EQ(DeliveryMethodOfLeaf("smime"), DeliveryMethod::kSmtp);
  EXPECT_EQ(DeliveryMethodOfLeaf("openpgp"), DeliveryMethod::kSmtp);
  EXPECT_EQ(DeliveryMethodOfLeaf("tls"), DeliveryMethod::kSmtp);
  EXPECT_EQ(DeliveryMethodOfLeaf("mailbox"), DeliveryMethod::kMailbox);
  EXPECT_FALSE(DeliveryMethodOfLeaf("carrier-pigeon").has_value());

  EvidenceDocument d = Sample();  // smtp
  d.event = EvidenceEvent::kContentConsignment;
  tlog::LogEntry entry;
  entry.event = {d.time_ms, "delivery.sent", "system", "m-1",
                 R"({"recipient":"bob@example.org","method":"smime","host":"mail relay"})"};
  EXPECT_THAT(CheckLeafRecordsEvent(entry, d), IsOk());
  EvidenceDocument other = d;
  other.delivery_method = DeliveryMethod::kPickup;
  EXPECT_THAT(CheckLeafRecordsEvent(entry, other), StatusIs(ErrorCode::kUnauthenticated));
  other = d;
  other.recipient = "carol@example.org";
  EXPECT_THAT(CheckLeafRecordsEvent(entry, other), StatusIs(ErrorCode::kUnauthenticated));
  // A send leaf with a secure method attests the submission only.
  tlog::LogEntry send = entry;
  send.event.type = "message.send";
  send.event.details = R"({"recipient":"bob@example.org","method":"tls"})";
  EXPECT_THAT(CheckLeafRecordsEvent(send, d), StatusIs(ErrorCode::kUnauthenticated));
  other = d;
  other.event = EvidenceEvent::kSubmissionAcceptance;
  EXPECT_THAT(CheckLeafRecordsEvent(send, other), IsOk());
  // A failed copy: consignment failure.
  tlog::LogEntry failed = entry;
  failed.event.type = "delivery.failed";
  failed.event.details = R"({"recipient":"bob@example.org","method":"openpgp","error":"550"})";
  other = d;
  other.event = EvidenceEvent::kContentConsignmentFailure;
  EXPECT_THAT(CheckLeafRecordsEvent(failed, other), IsOk());
  EXPECT_THAT(CheckLeafRecordsEvent(failed, d), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(EvidenceDocumentTest, AnExpiryAfterTheHandoverIsNoHandoverFailure) {
  EvidenceDocument d = Sample();
  d.event = EvidenceEvent::kContentHandoverFailure;
  d.delivery_method = DeliveryMethod::kPickup;
  d.reason = "expired";
  tlog::LogEntry entry;
  entry.event = {d.time_ms, "pickup.expired", "system", "m-1",
                 R"({"recipient":"bob@example.org","method":"pickup","opened":false})"};
  EXPECT_THAT(CheckLeafRecordsEvent(entry, d), IsOk());
  entry.event.details = R"({"recipient":"bob@example.org","method":"pickup","opened":true})";
  EXPECT_THAT(CheckLeafRecordsEvent(entry, d), StatusIs(ErrorCode::kUnauthenticated));
}

// Registered mail: each decision leaf attests its own event (an acceptance also the handover),
// for the recipient it names, and no other.
TEST(EvidenceDocumentTest, RegisteredMailLeavesAttestTheirDecisionForTheirRecipient) {
  EvidenceDocument d = Sample();
  d.delivery_method = DeliveryMethod::kPickup;
  tlog::LogEntry entry;
  const std::string bob = R"({"recipient":"bob@example.org","method":"pickup"})";
  const std::string carol = R"({"recipient":"carol@example.org","method":"pickup"})";
  const struct {
    const char* type;
    EvidenceEvent attests;
    EvidenceEvent not_attests;
  } cases[] = {
      {"message.accepted", EvidenceEvent::kConsignmentAcceptance,
       EvidenceEvent::kConsignmentRejection},
      {"message.accepted", EvidenceEvent::kContentHandover,
       EvidenceEvent::kAcceptanceRejectionExpiry},
      {"message.refused", EvidenceEvent::kConsignmentRejection,
       EvidenceEvent::kConsignmentAcceptance},
      {"message.expired", EvidenceEvent::kAcceptanceRejectionExpiry,
       EvidenceEvent::kContentHandoverFailure},
  };
  for (const auto& c : cases) {
    entry.event = {d.time_ms, c.type, "u-2", "m-1", bob};
    d.event = c.attests;
    EXPECT_THAT(CheckLeafRecordsEvent(entry, d), IsOk()) << c.type;
    entry.event.details = carol;
    EXPECT_THAT(CheckLeafRecordsEvent(entry, d), StatusIs(ErrorCode::kUnauthenticated)) << c.type;
    entry.event.details = bob;
    d.event = c.not_attests;
    EXPECT_THAT(CheckLeafRecordsEvent(entry, d), StatusIs(ErrorCode::kUnauthenticated)) << c.type;
  }
  EXPECT_EQ(EvidenceEventName(EvidenceEvent::kAcceptanceRejectionExpiry),
            "AcceptanceRejectionExpiry");
}

}  // namespace
}  // namespace sealpost::receipts
