// ParseDeliveryReport: a delivery status notification (RFC 3464, RFC 3462/6522 multipart/report;
// RFC 6533 message/global-delivery-status) → the per-recipient outcome a mail server reports
// for mail Sealpost sent, and the Message-ID of that mail when the report returns its header
// (text/rfc822-headers, message/rfc822 or message/global).
//
// The message is read with ParseMessage (same bounds, same GMime); the fields of the
// message/delivery-status part are parsed here by hand — GMime reads MIME entities, not the
// groups of header-like fields a delivery-status body holds (RFC 3464 §2.1: one per-message
// group, then one group per recipient, separated by blank lines; folded like RFC 5322 fields).
//
// Pure; thread-safe.
//
// SECURITY: the bytes are untrusted: any mail server, or anyone who knows a bounce address, can
// write one. Nothing here says the report is genuine (app/delivery_reports.h decides that from
// the address it came to). Bounds: kMimeParse for the message, kDeliveryReport for the groups and
// each value. Every returned value is valid UTF-8 without control characters (replaced by a
// space), at most kDeliveryReport.max_value_bytes long, so it can be shown and logged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sealpost::mime {

// RFC 3464 §2.3.3. kUnknown: an action value not in the RFC (the group is still returned).
enum class DeliveryAction { kFailed, kDelayed, kDelivered, kRelayed, kExpanded, kUnknown };

struct RecipientReport {
  std::string original_recipient;  // the address only ("rfc822;" and <> removed); may be empty
  std::string final_recipient;     // the address only; never empty
  DeliveryAction action = DeliveryAction::kUnknown;
  std::string status;      // RFC 3463 "5.1.1"; empty when missing or malformed
  std::string diagnostic;  // Diagnostic-Code after its type: "550 5.1.1 user unknown"
  std::string remote_mta;  // Remote-MTA after its type: "mx.example.org"
};

struct DeliveryReport {
  std::string reporting_mta;                // after its type ("dns; mail.example.org" → the name)
  std::string original_envelope_id;         // ENVID (RFC 3461), when the sender gave one
  std::vector<RecipientReport> recipients;  // at least one
  // From the returned header (without <>), empty when the report returns none.
  std::string original_message_id;
};

// InvalidArgument when the message is not a delivery status notification (not multipart/report
// with report-type=delivery-status or global-delivery-status, no status part, or no recipient
// group with a Final-Recipient and an Action); TooLarge past a bound of kMimeParse.
Result<DeliveryReport> ParseDeliveryReport(std::string_view message);

std::string_view DeliveryActionName(DeliveryAction action);

}  // namespace sealpost::mime
