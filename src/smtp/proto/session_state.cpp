#include "smtp/proto/session_state.h"

#include <fmt/format.h>

namespace sealpost::smtp::proto {
namespace {

Reply BadSequence(std::string text) { return {503, "5.5.1", std::move(text)}; }

}  // namespace

bool EndsPipelineGroup(Verb verb) {
  switch (verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
    case Verb::kData:
    case Verb::kVrfy:
    case Verb::kQuit:
    case Verb::kNoop:
    case Verb::kStartTls:
    case Verb::kAuth:
    case Verb::kHelp:
      return true;
    case Verb::kMail:
    case Verb::kRcpt:
    case Verb::kRset:
    case Verb::kBdat:
      return false;
  }
  return true;
}

std::optional<Reply> SessionState::Check(const Command& command) const {
  if (in_bdat_) {
    // RFC 3030 2: between chunks only BDAT, RSET, QUIT (and NOOP) make sense.
    switch (command.verb) {
      case Verb::kBdat:
      case Verb::kRset:
      case Verb::kQuit:
      case Verb::kNoop:
        return std::nullopt;
      default:
        return BadSequence("Only BDAT, RSET or QUIT while a BDAT transfer is open");
    }
  }
  switch (command.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
    case Verb::kRset:
    case Verb::kNoop:
    case Verb::kQuit:
    case Verb::kVrfy:
    case Verb::kHelp:
      return std::nullopt;
    case Verb::kStartTls:
      if (policy_.tls) return BadSequence("TLS already active");
      if (!policy_.starttls_offered) return Reply{502, "5.5.1", "STARTTLS not offered here"};
      if (!extended_) return BadSequence("Send EHLO first");
      if (in_mail_) return BadSequence("STARTTLS not allowed in a mail transaction");
      return std::nullopt;
    case Verb::kAuth:
      return CheckAuth(command);
    case Verb::kMail:
      return CheckMail(command);
    case Verb::kRcpt:
      return CheckRcpt(command);
    case Verb::kData:
    case Verb::kBdat:
      if (!in_mail_) return BadSequence("Need MAIL command");
      if (recipients_ == 0) return Reply{554, "5.5.1", "No valid recipients"};
      return std::nullopt;
  }
  return BadSequence("Bad sequence of commands");
}

std::optional<Reply> SessionState::CheckAuth(const Command& command) const {
  if (!policy_.auth_offered) return Reply{502, "5.5.1", "AUTH not offered here"};
  if (!extended_) return BadSequence("Send EHLO first");
  if (authenticated_) return BadSequence("Already authenticated");
  if (in_mail_) return BadSequence("AUTH not allowed in a mail transaction");
  if (policy_.auth_requires_tls && !policy_.tls) {
    return Reply{538, "5.7.11", "Encryption required for requested authentication mechanism"};
  }
  if (command.mechanism != "PLAIN" && command.mechanism != "LOGIN") {
    return Reply{504, "5.5.4", "Unrecognized authentication type"};
  }
  return std::nullopt;
}

std::optional<Reply> SessionState::CheckMail(const Command& command) const {
  if (!greeted_) return BadSequence("Send HELO/EHLO first");
  if (in_mail_) return BadSequence("Nested MAIL command");
  const MailParameters& p = command.mail;
  if (!extended_ &&
      (p.declared_size || p.eight_bit_mime || p.smtputf8 || command.body_7bit_declared)) {
    return Reply{555, "5.5.4", "ESMTP parameters need EHLO"};
  }
  if (p.declared_size && *p.declared_size > policy_.max_message_bytes) {
    return Reply{552, "5.3.4", "Message size exceeds fixed maximum message size"};
  }
  if (!command.path_is_ascii && !p.smtputf8) {
    return Reply{553, "5.6.7", "Non-ASCII address needs SMTPUTF8"};
  }
  return std::nullopt;
}

std::optional<Reply> SessionState::CheckRcpt(const Command& command) const {
  if (!in_mail_) return BadSequence("Need MAIL command");
  if (recipients_ >= policy_.max_recipients || refused_recipients_ >= policy_.max_recipients) {
    return Reply{452, "4.5.3", "Too many recipients"};
  }
  if (!command.path_is_ascii && !mail_.smtputf8) {
    return Reply{553, "5.6.7", "Non-ASCII address needs SMTPUTF8"};
  }
  return std::nullopt;
}

std::vector<std::string> SessionState::EhloKeywords() const {
  std::vector<std::string> lines = {
      "PIPELINING",
      fmt::format("SIZE {}", policy_.max_message_bytes),
      "8BITMIME",
      "SMTPUTF8",
      "ENHANCEDSTATUSCODES",
      "CHUNKING",
  };
  if (starttls_available()) lines.emplace_back("STARTTLS");
  if (auth_available()) lines.emplace_back("AUTH PLAIN LOGIN");
  return lines;
}

void SessionState::Greeted(bool extended) {
  TransactionEnded();
  greeted_ = true;
  extended_ = extended;
}

void SessionState::MailAccepted(const MailParameters& parameters) {
  in_mail_ = true;
  mail_ = parameters;
  recipients_ = 0;
  refused_recipients_ = 0;
}

void SessionState::TransactionEnded() {
  in_mail_ = false;
  in_bdat_ = false;
  mail_ = MailParameters{};
  recipients_ = 0;
  refused_recipients_ = 0;
}

ContentLimits SessionState::content_limits() const {
  return ContentLimits{policy_.max_message_bytes, mail_.eight_bit_mime || mail_.smtputf8,
                       policy_.max_line_bytes};
}

}  // namespace sealpost::smtp::proto
