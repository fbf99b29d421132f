// Fuzz target: the message side of the SMTP server (smtp/proto/message_reader.h): DATA with its
// dot-unstuffing and CRLF.CRLF end, and BDAT chunk reassembly.
//
// The first input byte chooses the limits (8-bit allowed, a size limit); the rest is the stream
// after DATA, fed at once and in pieces of 1-7 octets: both must give the same message, error
// and end position (and, when accepted, the same message). The same bytes are then cut into BDAT
// chunks (sizes from the input). Invariants: output passed on has only CRLF line ends, no NUL, no
// 8-bit byte unless allowed, is within the size limit, and never more than the input; DATA ends
// only after CR LF "." CR LF.
//
// SECURITY: models a hostile SMTP client (the smuggling attacks of 2023 among others).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/proto/message_reader.h"

namespace {

namespace proto = sealpost::smtp::proto;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckContent(std::string_view out, const proto::ContentLimits& limits) {
  Check(limits.max_message_bytes == 0 || out.size() <= limits.max_message_bytes);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto u = static_cast<unsigned char>(out[i]);
    Check(u != 0);
    Check(limits.eight_bit_allowed || u < 0x80);
    if (out[i] == '\n') Check(i > 0 && out[i - 1] == '\r');
    if (out[i] == '\r') Check(i + 1 < out.size() && out[i + 1] == '\n');
  }
}

struct Outcome {
  std::string out;
  size_t consumed = 0;
  bool done = false;
  proto::ContentError error = proto::ContentError::kNone;
};

Outcome ReadData(std::string_view input, size_t piece, const proto::ContentLimits& limits) {
  proto::DataReader reader(limits);
  Outcome o;
  size_t step = piece;
  while (o.consumed < input.size() && !reader.done()) {
    const size_t n =
        piece == 0 ? input.size() - o.consumed : std::min(step, input.size() - o.consumed);
    step = step % 7 + 1;
    const size_t used = reader.Feed(input.substr(o.consumed, n), &o.out);
    Check(used <= n);
    o.consumed += used;
    if (used < n) Check(reader.done());
  }
  o.done = reader.done();
  o.error = reader.error();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  proto::ContentLimits limits;
  limits.eight_bit_allowed = (data[0] & 1) != 0;
  limits.max_message_bytes = (data[0] & 2) ? 64 : 0;
  limits.max_line_bytes = (data[0] & 4) ? 16 : 998;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome whole = ReadData(input, 0, limits);
  const Outcome pieces = ReadData(input, 2, limits);
  // What was passed on before an error may differ (a refused message is dropped whole).
  Check(whole.consumed == pieces.consumed && whole.done == pieces.done &&
        whole.error == pieces.error);
  if (whole.error == proto::ContentError::kNone) Check(whole.out == pieces.out);
  Check(whole.out.size() <= whole.consumed);
  if (whole.error == proto::ContentError::kNone) CheckContent(whole.out, limits);
  if (whole.done) {
    // The end marker is the last five octets read: CR LF "." CR LF (or ". CR LF" at the start).
    const std::string_view read = input.substr(0, whole.consumed);
    Check(read == ".\r\n" || (read.size() >= 5 && read.substr(read.size() - 5) == "\r\n.\r\n"));
  } else {
    Check(whole.consumed == input.size());
  }
  if (whole.error != proto::ContentError::kNone) {
    const auto reply = proto::ContentErrorReply(whole.error);
    Check(reply.code == 550 || reply.code == 552 || reply.code == 554);
  }

  // BDAT: chunk sizes from the input's bytes, the last chunk marked LAST.
  proto::ChunkReader chunks(limits);
  std::string out;
  std::string_view rest = input;
  while (!rest.empty()) {
    const size_t chunk = std::min<size_t>(rest.size(), static_cast<unsigned char>(rest[0]) % 32);
    const bool last = chunk == rest.size();
    chunks.BeginChunk(chunk, last);
    const size_t used = chunks.Feed(rest.substr(0, chunk), &out);
    Check(used == chunk && chunks.chunk_done());
    rest.remove_prefix(used);
    if (last) break;
    if (chunk == 0) rest.remove_prefix(1);  // keep going
  }
  if (chunks.error() == proto::ContentError::kNone) CheckContent(out, limits);
  Check(out.size() <= input.size());
  return 0;
}
