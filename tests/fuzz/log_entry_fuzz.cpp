// Fuzz target: transparency-log leaves (tlog/log_entry.h) as a monitor or the verifier reads them
// back from a store or from fetched tiles and entry bundles.
//
// Invariants checked: no crash, exception or sanitizer report; every refusal is InvalidArgument;
// an accepted leaf encodes back to exactly the input (one encoding per entry) and is within the
// size limit.
//
// SECURITY: the leaf is untrusted; its fields reach the audit view and the legacy chain check.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tlog/log_entry.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tlog = sealpost::tlog;
  const sealpost::ByteView input(data, size);
  auto entry = tlog::ParseLogEntry(input);
  if (entry.ok()) {
    Check(size <= tlog::kMaxLogEntryBytes);
    auto again = tlog::EncodeLogEntry(*entry);
    Check(again.ok());
    Check(again->size() == size && std::equal(again->begin(), again->end(), data));
  } else {
    Check(entry.status().code() == sealpost::ErrorCode::kInvalidArgument);
  }
  return 0;
}
