#include "smtp/proto/message_reader.h"

#include <algorithm>

namespace sealpost::smtp::proto {

Reply ContentErrorReply(ContentError error) {
  switch (error) {
    case ContentError::kNone:
      break;
    case ContentError::kBareCr:
      return {550, "5.6.11", "Bare CR in message data is not allowed (use CRLF line ends)"};
    case ContentError::kBareLf:
      return {550, "5.6.11", "Bare LF in message data is not allowed (use CRLF line ends)"};
    case ContentError::kNul:
      return {554, "5.6.0", "NUL byte in message data is not allowed"};
    case ContentError::kEightBit:
      return {554, "5.6.1", "8-bit data not allowed without BODY=8BITMIME"};
    case ContentError::kLineTooLong:
      return {554, "5.6.0", "Message line longer than 998 octets"};
    case ContentError::kTooLarge:
      return {552, "5.3.4", "Message size exceeds fixed maximum message size"};
  }
  return {451, "4.3.0", "Internal error"};
}

void ContentChecker::Feed(std::string_view bytes, std::string* out) {
  const uint64_t before = size_;
  size_ += bytes.size();
  if (error_ != ContentError::kNone || bytes.empty()) return;
  // Bytes are judged in order, so the first error does not depend on how input was split: the
  // part within the size limit is checked first, then the excess is TooLarge.
  std::string_view within = bytes;
  const bool too_large = limits_.max_message_bytes != 0 && size_ > limits_.max_message_bytes;
  if (too_large) {
    within = bytes.substr(0, static_cast<size_t>(limits_.max_message_bytes - before));
  }
  // A CR is passed on only with its LF, so output never ends in a lone CR.
  const bool cr_held = pending_cr_;
  for (const char c : within) {
    if (pending_cr_) {
      if (c != '\n') return Fail(ContentError::kBareCr);
      pending_cr_ = false;
      line_ = 0;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {
      return Fail(ContentError::kBareLf);
    } else if (u == 0) {
      return Fail(ContentError::kNul);
    } else if (u >= 0x80 && !limits_.eight_bit_allowed) {
      return Fail(ContentError::kEightBit);
    } else if (limits_.max_line_bytes != 0 && ++line_ > limits_.max_line_bytes) {
      return Fail(ContentError::kLineTooLong);
    }
  }
  if (too_large) return Fail(ContentError::kTooLarge);
  if (cr_held) out->push_back('\r');
  out->append(pending_cr_ ? bytes.substr(0, bytes.size() - 1) : bytes);
}

void ContentChecker::Finish() {
  if (pending_cr_) Fail(ContentError::kBareCr);
}

size_t DataReader::Feed(std::string_view input, std::string* out) {
  if (input.empty() || state_ == State::kDone) return 0;
  // Runs of content are handed to the checker in one piece; `run` is where the current one
  // starts. Only a dot at the start of a line is left out of them.
  size_t i = 0;
  size_t run = 0;
  for (; i < input.size() && state_ != State::kDone; ++i) {
    const char c = input[i];
    switch (state_) {
      case State::kStart:
        if (c == '.') {
          if (i > run) checker_.Feed(input.substr(run, i - run), out);
          run = i + 1;  // a stuffed or final dot is never content
          state_ = State::kDot;
          break;
        }
        state_ = c == '\r' ? State::kCr : State::kText;
        break;
      case State::kText:
        // A bare LF stays inside the line: only CRLF starts a new one.
        if (c == '\r') state_ = State::kCr;
        break;
      case State::kCr:
        state_ = c == '\n' ? State::kStart : c == '\r' ? State::kCr : State::kText;
        break;
      case State::kDot:
        state_ = c == '\r' ? State::kDotCr : State::kText;
        break;
      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
          run = i + 1;  // CRLF "." CRLF: the marker is not content
          break;
        }
        // ".\r" and no LF: the CR was content (a bare CR, which the checker refuses).
        if (held_cr_) {
          checker_.Feed("\r", out);
          held_cr_ = false;
        }
        state_ = c == '\r' ? State::kCr : State::kText;
        break;
      case State::kDone:
        break;
    }
  }
  if (state_ == State::kDone) {
    checker_.Finish();
    return i;
  }
  if (state_ == State::kDotCr) {
    // The CR of ".\r" waits for the next input; it is not content if an LF follows.
    if (!held_cr_ && i - 1 > run) checker_.Feed(input.substr(run, i - 1 - run), out);
    held_cr_ = true;
  } else if (i > run) {
    checker_.Feed(input.substr(run, i - run), out);
  }
  return i;
}

void ChunkReader::BeginChunk(uint64_t size, bool last) {
  remaining_ = size;
  last_ = last;
  if (done()) checker_.Finish();
}

size_t ChunkReader::Feed(std::string_view input, std::string* out) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(input.size(), remaining_));
  checker_.Feed(input.substr(0, n), out);
  remaining_ -= n;
  if (done()) checker_.Finish();
  return n;
}

}  // namespace sealpost::smtp::proto
