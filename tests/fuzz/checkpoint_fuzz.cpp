// Fuzz target: C2SP signed notes and checkpoints (tlog/note.h, tlog/checkpoint.h), as a witness
// or monitor would receive them from the network.
//
// Invariants checked: no crash, exception or sanitizer report; every refusal by a parser is
// InvalidArgument, and opening refuses only as InvalidArgument or Unauthenticated; an accepted
// checkpoint body formats back to exactly the input (one spelling per checkpoint); an accepted
// note keeps to its limits and its text ends in a newline; a note opened under the fixed key
// holds a parseable signature by it.
//
// SECURITY: checkpoints come from logs and witnesses we do not control.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// A fixed verifier: the seed corpus holds checkpoints it signed (docs/formats/checkpoint.md).
const sealpost::tlog::NoteVerifier& Verifier() {
  static const sealpost::tlog::NoteVerifier verifier = [] {
    auto parsed = sealpost::tlog::ParseVerifierKey(
        "sealpost.example/audit+fd0b53bf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
    Check(parsed.ok());
    return *parsed;
  }();
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sealpost::ErrorCode;
  namespace tlog = sealpost::tlog;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The input as a checkpoint body.
  auto checkpoint = tlog::ParseCheckpoint(input);
  if (checkpoint.ok()) {
    auto text = tlog::FormatCheckpoint(*checkpoint);
    Check(text.ok() && *text == input);
  } else {
    Check(checkpoint.status().code() == ErrorCode::kInvalidArgument);
  }

  // The input as a signed note.
  auto note = tlog::ParseNote(input);
  if (note.ok()) {
    Check(input.size() <= tlog::kMaxNoteBytes);
    Check(!note->text.empty() && note->text.back() == '\n');
    Check(!note->signatures.empty() && note->signatures.size() <= tlog::kMaxNoteSignatures);
  } else {
    Check(note.status().code() == ErrorCode::kInvalidArgument);
  }

  const std::vector<tlog::NoteVerifier> verifiers = {Verifier()};
  auto opened = tlog::OpenCheckpoint(input, verifiers);
  if (opened.ok()) {
    Check(note.ok());
    bool signed_by_verifier = false;
    for (const tlog::NoteSignature& sig : note->signatures) {
      signed_by_verifier |= sig.name == Verifier().name && sig.key_hash == Verifier().key_hash();
    }
    Check(signed_by_verifier);
  } else {
    Check(opened.status().code() == ErrorCode::kInvalidArgument ||
          opened.status().code() == ErrorCode::kUnauthenticated);
  }
  return 0;
}
