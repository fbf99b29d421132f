// A message parsed where it lies — a spool file, not memory — so that a message of any size is
// read in bounded memory (the SMTP gateway, issue 13). The header fields and the text and HTML
// bodies come out as mime::ParseMessage gives them; the attachments come out as names and types
// only, and each one's decoded bytes (base64 and quoted-printable undone) are streamed on demand
// by CopyAttachment, piece by piece, straight from the source.
//
// How: GMime parses a seekable stream over the source (internal/source_stream.h); it then keeps
// each part's content as a range of the source instead of a copy. What stays in memory is the
// MIME tree with its header fields (bounded by kMimeParse), the bodies (each at most
// kMimeParse.max_streamed_body_bytes as encoded) and one buffer per read.
//
// Not thread-safe: one StreamedMessage and its source belong to one thread at a time.
//
// SECURITY: as mime::ParseMessage (message_parser.h), with the same bounds except the size of the
// whole message (kMimeParse.max_streamed_message_bytes). The pre-scan that bounds what GMime
// builds reads the source once line by line, keeping at most max_header_field_bytes of a line; a
// longer line is counted as the worst it could be. A failing source (a spool that does not
// authenticate) fails the parse or the copy with the source's status.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "core/encoding.h"
#include "core/status.h"
#include "mime/message_parser.h"

namespace sealpost::mime {

// Random access to a message's bytes.
class MessageSource {
 public:
  virtual ~MessageSource() = default;
  virtual uint64_t size() const = 0;
  // Up to out.size() bytes from `offset` (below size()); fewer only at the end.
  virtual Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) = 0;
};

class StreamedMessage final {
 public:
  // `source` must outlive the result. InvalidArgument when the bytes are not a message GMime can
  // read; TooLarge past a limit; the source's own failure.
  static Result<std::unique_ptr<StreamedMessage>> Parse(MessageSource& source);
  ~StreamedMessage();
  StreamedMessage(const StreamedMessage&) = delete;
  StreamedMessage& operator=(const StreamedMessage&) = delete;

  // Every attachment's `data` is empty: its bytes come from CopyAttachment.
  const ParsedMessage& message() const { return message_; }

  // Hands attachment `index`'s decoded bytes to `write` in pieces of at most 64 KiB; stops at
  // the first failure of `write` (returned as it is) or of the source.
  Status CopyAttachment(size_t index, const std::function<Status(ByteView)>& write) const;

  struct Tree;  // GMime's objects (message_parser.cpp)

 private:
  StreamedMessage(std::unique_ptr<Tree> tree, ParsedMessage message);
  std::unique_ptr<Tree> tree_;
  ParsedMessage message_;
};

}  // namespace sealpost::mime
