// The message bytes after DATA (RFC 5321 4.1.1.4, 4.5.2) and BDAT (RFC 3030). Pure.
//
// DataReader removes dot-stuffing and ends only at CRLF "." CRLF. ChunkReader reassembles BDAT
// chunks. Both check every byte they pass on, in one place (ContentChecker):
//  - every line end is CRLF: a bare CR or bare LF anywhere refuses the message and is never read
//    as a line end or as part of the end marker (the SMTP smuggling attacks of 2023:
//    "\n.\n", "\r.\r", "\r\n.\n"… must not end DATA here when a next hop would read them
//    differently);
//  - no NUL byte;
//  - no 8-bit byte unless BODY=8BITMIME or SMTPUTF8 was declared;
//  - lines of at most `max_line_bytes` (0: unlimited);
//  - the size, counted while streaming, within `max_message_bytes` (552 5.3.4).
// After the first error nothing more is passed on, but the reader keeps reading to the end of
// the message (DATA: the real CRLF.CRLF; BDAT: the announced sizes) so the session stays in step,
// and the reply for the first error is sent then.
//
// SECURITY: sees raw bytes from an untrusted client; state is O(1), output is at most the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/face.h"

namespace sealpost::smtp::proto {

struct ContentLimits {
  uint64_t max_message_bytes = 0;
  bool eight_bit_allowed = false;
  size_t max_line_bytes = 998;  // RFC 5321 4.5.3.1.6, without the CRLF; 0: unlimited
};

enum class ContentError { kNone, kBareCr, kBareLf, kNul, kEightBit, kLineTooLong, kTooLarge };

// The reply that refuses a message for `error` (5.6.x for malformed content, 552 5.3.4 for
// size), with a text naming the reason.
Reply ContentErrorReply(ContentError error);

// Checks content bytes (already without dot-stuffing) and passes on the good ones.
class ContentChecker final {
 public:
  explicit ContentChecker(ContentLimits limits) : limits_(limits) {}
  // Checks `bytes` and appends them to *out while no error has been found.
  void Feed(std::string_view bytes, std::string* out);
  // The message ended: a CR left waiting for its LF is a bare CR.
  void Finish();
  ContentError error() const { return error_; }
  uint64_t size() const { return size_; }

 private:
  void Fail(ContentError error) {
    if (error_ == ContentError::kNone) error_ = error;
  }
  const ContentLimits limits_;
  ContentError error_ = ContentError::kNone;
  uint64_t size_ = 0;
  size_t line_ = 0;
  bool pending_cr_ = false;
};

class DataReader final {
 public:
  explicit DataReader(ContentLimits limits) : checker_(limits) {}
  // Reads from `input` up to and including the end marker; appends the message bytes (with
  // their CRLFs, without dot-stuffing) to *out. Returns how many bytes of `input` it consumed:
  // less than all only when the end was found (the rest belongs to the next command).
  size_t Feed(std::string_view input, std::string* out);
  bool done() const { return state_ == State::kDone; }
  ContentError error() const { return checker_.error(); }
  uint64_t size() const { return checker_.size(); }

 private:
  // Where the reader stands in the current line: kStart (after CRLF), kDot (a leading dot),
  // kDotCr (".\r" at the start of a line), kText, kCr (a CR inside a line).
  enum class State { kStart, kDot, kDotCr, kText, kCr, kDone };
  ContentChecker checker_;
  State state_ = State::kStart;
  bool held_cr_ = false;  // the CR of a ".\r" at the end of the previous input
};

class ChunkReader final {
 public:
  explicit ChunkReader(ContentLimits limits) : checker_(limits) {}
  // A new BDAT chunk of `size` bytes; `last` for BDAT ... LAST.
  void BeginChunk(uint64_t size, bool last);
  // Consumes at most the rest of the current chunk from `input`; returns how many bytes.
  size_t Feed(std::string_view input, std::string* out);
  bool chunk_done() const { return remaining_ == 0; }
  // The LAST chunk has been read whole (the checker has then been finished).
  bool done() const { return last_ && remaining_ == 0; }
  ContentError error() const { return checker_.error(); }
  uint64_t size() const { return checker_.size(); }

 private:
  ContentChecker checker_;
  uint64_t remaining_ = 0;
  bool last_ = false;
};

}  // namespace sealpost::smtp::proto
