// Which SMTP command is allowed when (RFC 5321 4.1.4, 3207, 4954, 3030, 2920), and what EHLO
// offers. Pure: the session asks Check() before acting on a command and reports what happened.
//
// Thread-safety: a plain value, used by one session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "smtp/face.h"
#include "smtp/proto/command.h"
#include "smtp/proto/message_reader.h"

namespace sealpost::smtp::proto {

struct SessionPolicy {
  bool tls = false;               // the session runs inside TLS
  bool starttls_offered = false;  // the listener offers STARTTLS (before TLS)
  bool auth_offered = false;      // the listener offers AUTH
  bool auth_requires_tls = true;  // AUTH only inside TLS
  uint64_t max_message_bytes = 25 * 1024 * 1024;
  size_t max_recipients = 100;
  size_t max_line_bytes = 998;  // DATA/BDAT line limit; 0: none
};

// RFC 2920 3.1: commands after which a client must wait for the reply (the last of a group).
bool EndsPipelineGroup(Verb verb);

class SessionState final {
 public:
  explicit SessionState(SessionPolicy policy) : policy_(policy) {}

  // Whether `command` may run now: nothing, or the reply that refuses it (503 5.5.1 for a bad
  // sequence, 502 5.5.1 for what this listener does not offer, 538 5.7.11 for AUTH outside TLS,
  // 504 5.5.4 for an unknown mechanism, 552 5.3.4 for SIZE over the limit, 452 4.5.3 for too many
  // recipients, 553 5.6.7 for a UTF-8 address without SMTPUTF8, 555 5.5.4 for ESMTP parameters
  // after HELO). Changes nothing.
  std::optional<Reply> Check(const Command& command) const;

  // The EHLO reply lines after the greeting line.
  std::vector<std::string> EhloKeywords() const;
  bool starttls_available() const { return !policy_.tls && policy_.starttls_offered; }
  bool auth_available() const {
    return policy_.auth_offered && !authenticated_ && (policy_.tls || !policy_.auth_requires_tls);
  }

  // What the session did (after the face accepted, where a face is asked).
  void Greeted(bool extended);
  void Authenticated() { authenticated_ = true; }
  void MailAccepted(const MailParameters& parameters);
  void RecipientAccepted() { ++recipients_; }
  void RecipientRefused() { ++refused_recipients_; }
  void ChunkingStarted() { in_bdat_ = true; }
  // RSET, or the end of a message (whatever its outcome): the envelope is gone.
  void TransactionEnded();

  bool in_transaction() const { return in_mail_; }
  bool in_bdat() const { return in_bdat_; }
  bool authenticated() const { return authenticated_; }
  size_t recipients() const { return recipients_; }
  // The limits for the message of the current transaction.
  ContentLimits content_limits() const;
  const SessionPolicy& policy() const { return policy_; }

 private:
  std::optional<Reply> CheckAuth(const Command& command) const;
  std::optional<Reply> CheckMail(const Command& command) const;
  std::optional<Reply> CheckRcpt(const Command& command) const;

  SessionPolicy policy_;
  bool greeted_ = false;
  bool extended_ = false;  // EHLO rather than HELO
  bool authenticated_ = false;
  bool in_mail_ = false;
  bool in_bdat_ = false;
  MailParameters mail_;
  size_t recipients_ = 0;
  size_t refused_recipients_ = 0;
};

}  // namespace sealpost::smtp::proto
