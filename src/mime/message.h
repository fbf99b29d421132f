// The value types of an e-mail message as Sealpost builds it for one recipient's copy
// (message_builder.h, header_protection.h). Plain data: no GMime in this header.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/address.h"
#include "core/time.h"

namespace sealpost::mime {

// "Display Name <address>". The address is an EmailAddress, so it cannot carry a second address
// or a line break; the display name is free UTF-8 text (encoded per RFC 2047 when not ASCII).
struct Mailbox {
  std::string display_name;  // UTF-8; may be empty
  EmailAddress address;
};

struct Attachment {
  std::string filename;      // UTF-8, without a directory; encoded per RFC 2231 when not ASCII
  std::string content_type;  // "type/subtype" (no parameters); multipart/* and message/* are
                             // sent as application/octet-stream (see message_builder.h)
  std::string data;          // the bytes, any values
};

// One recipient's copy. Bcc recipients are never listed, except in a Bcc recipient's own copy,
// where `bcc_self` names that recipient (and nobody else).
struct OutgoingMessage {
  explicit OutgoingMessage(Mailbox sender) : from(std::move(sender)) {}

  Mailbox from;
  std::vector<Mailbox> to;
  std::vector<Mailbox> cc;
  std::optional<Mailbox> bcc_self;
  std::string subject;  // UTF-8
  TimePoint date;
  std::string message_id;                // "left@right", without angle brackets
  std::string in_reply_to;               // a message id without angle brackets; empty: none
  std::vector<std::string> references;   // message ids without angle brackets, oldest first
  std::string text_body;                 // UTF-8; any line ends (sent as CRLF)
  std::optional<std::string> html_body;  // UTF-8; with text_body as multipart/alternative
  std::vector<Attachment> attachments;
};

}  // namespace sealpost::mime
