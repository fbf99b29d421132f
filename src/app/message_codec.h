// The plaintext forms of a sealed message and its seal (byte layouts: docs/formats/message.md).
//
// A message has a *summary* (subject, parties, attachment list with per-attachment keys and
// digests, body digest, seal) and a *body* (text and HTML). Both are JSON, encrypted under the
// message data key with associated data naming the message and its sender. The seal is the
// sender's Ed25519 signature over the canonical summary without the seal itself, so it covers
// the exact content (through the digests), the recipients and the time. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "crypto/signature.h"

namespace sealpost::app {

struct AttachmentMeta {
  std::string name;
  std::string content_type;
  uint64_t size = 0;
  std::string sha256_hex;
  Bytes key;  // the attachment's blob key (inside the encrypted summary only)
};

struct MessageSummary {
  MessageId id;
  std::string from_email;
  std::string from_name;
  std::vector<std::string> to;
  int64_t created_ms = 0;
  std::string subject;
  std::string body_sha256_hex;
  std::vector<AttachmentMeta> attachments;
  // Threads: the message this one answers and the thread's first message. Both empty for a
  // message that starts a thread (its own id is then the thread id); under the seal when set.
  std::string in_reply_to;
  std::string thread_id;
  Bytes seal;  // Ed25519 signature
};

// The thread a message belongs to: its first message's id.
inline std::string ThreadOf(const MessageSummary& s) {
  return s.thread_id.empty() ? s.id.str() : s.thread_id;
}

struct MessageBody {
  std::string text;
  std::string html;
};

std::string SummaryAd(const MessageId& id, const UserId& sender);
std::string BodyAd(const MessageId& id, const UserId& sender);

// The statement the sender signs: everything in the summary except the seal.
Bytes SealStatement(const MessageSummary& summary);

std::string EncodeSummary(const MessageSummary& summary);
Result<MessageSummary> DecodeSummary(std::string_view json);
std::string EncodeBody(const MessageBody& body);
Result<MessageBody> DecodeBody(std::string_view json);

}  // namespace sealpost::app
