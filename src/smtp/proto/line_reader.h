// Splits the client's command stream into lines (RFC 5321 2.3.8: CRLF only). Pure.
//
// SECURITY: sees raw bytes from an untrusted client. A line longer than `max_bytes` is never
// buffered whole: the reader discards up to its end and reports kTooLong once. A bare LF ends a
// line but is reported (kBareLf), so the session refuses it instead of guessing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sealpost::smtp::proto {

class LineReader final {
 public:
  enum class Kind { kNeedMore, kLine, kTooLong, kBareLf };
  struct Next {
    Kind kind = Kind::kNeedMore;
    std::string line;  // kLine: without CRLF
  };

  explicit LineReader(size_t max_bytes) : max_bytes_(max_bytes) {}

  void Append(std::string_view bytes) { buffer_.append(bytes); }
  Next Take();
  // Bytes received and not yet taken (SMTP payload after DATA/BDAT is read from here first).
  std::string& buffered() { return buffer_; }
  bool has_buffered() const { return !buffer_.empty(); }
  // STARTTLS (RFC 3207 4.2, the "command injection" of CVE-2011-0411): whatever the client sent
  // after the command in the clear is dropped, never read as a command inside TLS.
  void DiscardBuffered();

 private:
  const size_t max_bytes_;
  std::string buffer_;
  bool discarding_ = false;  // inside an over-long line
};

}  // namespace sealpost::smtp::proto
