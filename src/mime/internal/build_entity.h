// The GMime side of building a message: OutgoingMessage → GMimeMessage, and a GMime object →
// its bytes with CRLF line ends. Shared by message_builder.cpp and header_protection.cpp.
//
// Thread-safety: every call makes its own GMime objects (internal/gmime_init.h).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "mime/internal/gmime_handles.h"
#include "mime/message.h"

namespace sealpost::mime::internal {

// Checks every field of the message (header_checks.h): InvalidArgument names the first bad one.
Status CheckOutgoingMessage(const OutgoingMessage& message);

// Adds "Display Name <address>" to the From, To, Cc or Bcc field.
void AddMailbox(GMimeMessage* message, GMimeAddressType type, const Mailbox& mailbox);
// Adds every mailbox to the field at once. GMime re-encodes a message's whole address header
// each time its list changes: one internet_address_list_add per mailbox made building a message
// to n recipients cost n² (seconds per secure copy at 1,000 recipients, issue 12).
void AddMailboxes(GMimeMessage* message, GMimeAddressType type,
                  const std::vector<Mailbox>& mailboxes);

// Checks every field (header_checks.h) and builds the message: headers, then the body
// (text, text+HTML as multipart/alternative, either with attachments as multipart/mixed).
Result<GObjectPtr<GMimeMessage>> BuildGMimeMessage(const OutgoingMessage& message);

// Sets In-Reply-To and References from `message` (the newest kMaxReferences ids), when present.
void SetThreadHeaders(GMimeObject* object, const OutgoingMessage& message);

// The object's bytes, every line ending in CRLF.
Result<std::string> WriteWithCrlf(GMimeObject* object);

}  // namespace sealpost::mime::internal
