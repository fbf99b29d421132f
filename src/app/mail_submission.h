// Mail submitted by a member's mail program (SMTP submission, issue 13) becomes a Sealpost send,
// through the same Mailbox::Send the web UI uses — or, when the policy of the sender's domain
// (app/smtp_policies.h: the domain's own, else the config file's [smtp_policy]) does not mark it,
// is relayed onward unchanged through the configured relay (the durable outbound mail queue,
// app/outbound_mail.h). Mail the organisation's own mail server hands to the relay face takes the
// same way (SubmitFromRelay), sealed by the gateway on the member's behalf (app/gateway_author.h)
// instead of with the member's own key.
//
// Flow: BeginMessage spools the bytes as they arrive (app/internal/message_spool.h: a temporary
// file encrypted under a key held only in memory, so memory stays bounded while the client
// sends); Submit parses the spool where it lies with mime::StreamedMessage (up to the configured
// limit — at most crypto::policy::kMimeParse.max_streamed_message_bytes), applies the policy and
// sends or queues. Attachments are decoded from the spool straight into their uploads, so memory
// stays bounded whatever the message's size. A message relayed unchanged is queued whole, so it
// may be at most kMimeParse.max_message_bytes (TooLarge otherwise). Submit returns OK only once
// the message is durable (stored, or queued); on failure nothing of it is kept (attachments
// already uploaded are deleted).
//
// What a secure send carries: the envelope's RCPT TO addresses as recipients, each routed by
// app/routing.h as in the web UI. The Bcc header is never read: envelope recipients that the To
// or Cc fields name get one message listing them all (in its to and cc as the fields named
// them); every other one (a Bcc) gets a message of their own that lists only them as bcc, so
// nobody learns of a Bcc recipient. (Those are separate
// sends: if a later one fails, the client is told so and a retry sends the earlier ones again —
// a duplicate, never a loss.) The message carries the subject (without the policy's tag), the text
// and HTML bodies, and every other MIME leaf as an attachment with its content type (inline images
// included). In-Reply-To keeps the thread when its left part names a Sealpost message the member
// can read (Sealpost's own Message-IDs are "<message id>@<domain>",
// app/internal/secure_copies.cpp); any other In-Reply-To is dropped.
//
// Guests without an unlock code (MUC): a mail program cannot show generated codes, so the codes
// are generated and delivered as a Sealpost message from the member to themselves ("Unlock codes
// for your message …") in their own Sealpost inbox — sealed like any message, never in a clear
// e-mail that would travel the same relay as the guests' pickup links. It is sent after the
// message itself; if that fails the message still stands (the member can issue new codes from
// Sent), and the failure is logged.
//
// Thread-safe: the object holds only configuration; each message has its own SubmittedMessage.
//
// SECURITY: every byte of the message and every envelope address is untrusted (a member's mail
// program, or malware on the member's computer holding an app password). The member is
// authenticated before anything here is called; MAIL FROM must be their own address (through the
// relay: the client is the organisation's server, checked by the relay face, and MAIL FROM must be
// an active member); the message is parsed with the bounds of crypto::policy::kMimeParse and then
// validated by Mailbox::Send like a web send. Header values come out of the parser free of control
// characters, so an encoded word cannot inject a header. The relayed copy is the member's bytes
// with Bcc fields removed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/services.h"
#include "app/smtp_policies.h"
#include "app/submission_rules.h"

namespace sealpost::app {

namespace internal {
class MessageSpool;
class SubmissionSender;
}  // namespace internal

// `[smtp_policy]` (the instance default of the gateway policy, app/smtp_policies.h) and the
// submission's own settings.
struct SubmissionConfig {
  SubmissionPolicy policy = SubmissionPolicy::kAll;
  std::string tag = "[secure]";
  ContentRulesConfig rules;
  // Where messages are spooled while they arrive (created 0700). Required, and this process's
  // alone: Create removes the spool files it finds there (left by a crash).
  std::string spool_directory;
  // The largest message accepted; capped at kMimeParse.max_streamed_message_bytes.
  uint64_t max_message_bytes = 150ull << 20;
  // Messages up to this size are spooled in memory (sealed all the same), larger ones into a
  // file in spool_directory: no file is made and removed for most mail. 0: always a file.
  uint64_t spool_memory_bytes = 256 * 1024;
};

// The message being received: created by MailSubmission::BeginMessage, fed by the SMTP session,
// handed to Submit. Destroying it removes its spool.
class SubmittedMessage final {
 public:
  ~SubmittedMessage();
  // TooLarge past the limit; a spool write failure otherwise. After a failure Submit fails too.
  Status Append(std::string_view bytes);
  uint64_t size() const;

 private:
  friend class MailSubmission;
  explicit SubmittedMessage(std::unique_ptr<internal::MessageSpool> spool);
  std::unique_ptr<internal::MessageSpool> spool_;
};

struct SubmissionEnvelope {
  std::string mail_from;
  std::vector<std::string> recipients;  // RCPT TO, in order; duplicates are sent to once
};

struct SubmissionOutcome {
  enum class Kind { kSentSecurely, kRelayed };
  Kind kind = Kind::kSentSecurely;
  std::optional<MessageId> message_id;  // kSentSecurely
  // Why it went out securely: "policy" (all), "tag", or a rule name ("iban", "regex 1"…).
  std::string marked_by;
  // Guests who got a generated unlock code (delivered to the member's inbox, see above).
  std::vector<std::string> generated_muc_for;
};

class MailSubmission final {
 public:
  // InvalidArgument for a bad configuration (no spool directory, a rule that does not compile).
  static Result<std::unique_ptr<MailSubmission>> Create(const Services& services,
                                                        SubmissionConfig config);

  // PermissionDenied (shown to the client) unless `mail_from` is the member's own address (the
  // domain compared case-insensitively, the local part as stored).
  Status CheckSender(const AuthContext& ctx, std::string_view mail_from) const;

  // `max_bytes`: a listener's own limit instead of the configured one (capped the same way).
  Result<std::unique_ptr<SubmittedMessage>> BeginMessage(
      std::optional<uint64_t> max_bytes = std::nullopt) const;

  // Sends or relays the message (see the top of the file). Errors: PermissionDenied (sender),
  // InvalidArgument (a message that cannot be read or sent; shown to the client where the text
  // is the client's), TooLarge (bigger than a limit of the parser or of a send), and the store's
  // or blobs' own failures (Unavailable, StorageFull…: transient).
  Result<SubmissionOutcome> Submit(const AuthContext& ctx, const SubmissionEnvelope& envelope,
                                   SubmittedMessage& message) const;

  // Mail the organisation's server hands to the relay face (smtp/relay_face.h): the same policy,
  // tag, Bcc split, generated codes and relaying unchanged as Submit, for the member the envelope
  // sender names — PermissionDenied unless an active member — and sealed by the platform's
  // gateway on their behalf (app/gateway_author.h). In-Reply-To is not followed (the gateway
  // cannot check that the member may read the message it names). Errors as Submit's.
  Result<SubmissionOutcome> SubmitFromRelay(const SubmissionEnvelope& envelope,
                                            SubmittedMessage& message) const;

  uint64_t max_message_bytes() const { return config_.max_message_bytes; }

 private:
  MailSubmission(const Services& services, SubmissionConfig config,
                 std::unique_ptr<SmtpPolicies> policies);
  // Everything after the sender is known: parse, policy, then queue or send.
  Result<SubmissionOutcome> Deliver(internal::SubmissionSender& sender,
                                    const SubmissionEnvelope& envelope,
                                    SubmittedMessage& message) const;

  const Services& s_;
  SubmissionConfig config_;
  // The sender's domain's policy, or config_'s policy, tag and rules as the instance default.
  std::unique_ptr<SmtpPolicies> policies_;
};

// Removes the Bcc header fields (with their continuation lines) from a message's header section;
// the body is left as it is. Exposed for tests.
std::string WithoutBccFields(std::string_view message);

}  // namespace sealpost::app
