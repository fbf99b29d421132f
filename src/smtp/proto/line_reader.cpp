#include "smtp/proto/line_reader.h"

namespace sealpost::smtp::proto {

LineReader::Next LineReader::Take() {
  const size_t lf = buffer_.find('\n');
  if (lf == std::string::npos) {
    if (buffer_.size() > max_bytes_ + 1) {
      // Keep the last byte: it may be the CR of the coming CRLF.
      buffer_.erase(0, buffer_.size() - 1);
      discarding_ = true;
    }
    return {};
  }
  const bool crlf = lf > 0 && buffer_[lf - 1] == '\r';
  const size_t length = crlf ? lf - 1 : lf;
  Next next;
  if (discarding_ || length > max_bytes_) {
    next.kind = Kind::kTooLong;
  } else if (!crlf) {
    next.kind = Kind::kBareLf;
  } else {
    next.kind = Kind::kLine;
    next.line = buffer_.substr(0, length);
  }
  discarding_ = false;
  buffer_.erase(0, lf + 1);
  return next;
}

void LineReader::DiscardBuffered() {
  buffer_.clear();
  discarding_ = false;
}

}  // namespace sealpost::smtp::proto
