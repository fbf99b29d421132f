// What a message received from outside shows in the mailbox: its MIME parsed with GMime
// (mime::ParseMessage) into the summary's parties and subject, the text and HTML bodies and the
// attachments, cut to the mailbox limits. Mail encrypted with S/MIME or OpenPGP is recognised
// (`protection`) and left as it is: only its outer header fields are read here; the member's
// keys open it later (app/inbound_reader.h).
//
// Pure; thread-safe. SECURITY: `message` is untrusted mail; the parser bounds it
// (kMimeParse). A message the parser refuses still gives a content (empty, with the
// reason in `unreadable`), so that it is stored and the member can download the original.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/message_codec.h"
#include "app/services.h"

namespace sealpost::app::internal {

struct InboundAttachment {
  std::string name;          // safe as a file name (no '/', '\\', control characters)
  std::string content_type;  // "type/subtype"
  std::string data;
};

struct InboundContent {
  std::string from_email;  // the From: address (normalised when it is a valid one)
  std::string from_name;
  std::vector<std::string> to;  // To: and Cc: addresses
  std::string subject;
  MessageBody body;
  std::vector<InboundAttachment> attachments;
  std::string protection;  // "", "smime" or "openpgp"
  std::string unreadable;  // why the parser refused the message; empty when it read it
};

InboundContent ReadInboundContent(std::string_view message, const Limits& limits);

// The same for the decrypted payload of protected mail (the header fields come from the payload
// when it is header-protected, RFC 9788, else from the outer message).
InboundContent ReadDecryptedContent(std::string_view outer_message, std::string_view payload,
                                    const Limits& limits);

}  // namespace sealpost::app::internal
