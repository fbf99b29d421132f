// Evidence of a refused submission (issue 14, "submission accepted (or rejected, with the
// reason)"; docs/formats/receipt.md, "Rejected submissions"): ETSI EN 319 522-1
// SubmissionRejection.
//
// Which refusals are evidence: a member's send (Mailbox::Send) refused after the session named
// the sender, for a rule the submission broke — InvalidArgument, TooLarge, PermissionDenied or
// Conflict (a recipient refused by policy, a guest without a MUC, too many recipients, too large
// a text, an attachment upload that does not exist…). Not evidence: requests that never became a
// submission (no session, a body that is not the JSON of a send), and failures of the platform
// (Unavailable, StorageFull, Internal, Corruption, RateLimited): they are not a decision about
// the message, and the client is told to try again.
//
// A refused submission stores no message, so it gets a fresh submission id (the form of a
// message id, in the same id space) that the problem+json answer carries ("submission_id") and
// the receipts name as their message-id. Its sealed-digest is the SHA-256 of the submission's
// canonical JSON (SubmissionDigestHex), which the sender can recompute from what it sent. One
// "submission.rejected" log leaf per recipient address (at most kMaxRejectionRecipients; an
// address that does not parse is named as sent when printable, else skipped; with none left, the
// one leaf names "undisclosed-recipients:;", RFC 5322's empty group), each with the reason the
// client was told; the receipt issuer turns each into a
// SubmissionRejection receipt, which the sender lists and downloads like any other
// (app::Receipts, by the submission id).
//
// Rate limit: a client must not be able to flood the log with rejection receipts. Evidence is
// recorded for at most AppConfig::max_rejection_evidence_per_sender refusals per member and
// hour, and max_rejection_evidence_per_client per client address (auth::ThrottledClient: IPv6
// as its /64) and hour across members (fixed windows, counters in the store, so the limits hold
// across processes). Past either limit the send is still refused as before but gets no
// submission id, no evidence row and no leaf. What was suppressed is audited as counts, not one
// event per refusal: a "submission.rejection_suppressed" event (actor the member; details: scope
// "sender" or "client", the counted key, suppressed = refusals without evidence so far in the
// window, limit, window_seconds) when a key's suppressed count reaches 1, 2, 4, 8, … — at most
// 1 + log2(refusals) events per key and hour, the count exact at each of them.
//
// SECURITY: the request is untrusted; what reaches the log is bounded (addresses and reason cut
// to printable ASCII and kMaxEvidenceFieldBytes) and holds no content, only its digest.
// Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "app/mailbox.h"
#include "app/services.h"
#include "core/status.h"
#include "store/records.h"

namespace sealpost::app {

inline constexpr size_t kMaxRejectionRecipients = 100;

// Whether `refusal` of a member's send is recorded as SubmissionRejection evidence (above).
bool IsEvidencedRejection(const Status& refusal);

// SHA-256 (64 lower-case hex digits) of the submission as canonical JSON: an object with the
// keys attachments (array of {content_type, name, upload_id}), html, in_reply_to, subject, text,
// to (array of strings, as sent), serialised by RFC 8785-style sorted keys without whitespace
// (nlohmann::json::dump()). MUCs are left out: they are secrets. Pure.
std::string SubmissionDigestHex(const SendRequest& request);

// Records the evidence of `refusal` (IsEvidencedRejection must hold) of `sender`'s submission
// from `client_address`: the submission's evidence row and its log leaves, in one write
// transaction with the rate counters. Returns the submission id, or nullopt when the rate limit
// suppressed the evidence (the suppression audited as above).
Result<std::optional<MessageId>> RecordSubmissionRejection(const Services& s,
                                                           const store::UserRecord& sender,
                                                           const std::string& client_address,
                                                           const SendRequest& request,
                                                           const Status& refusal);

}  // namespace sealpost::app
