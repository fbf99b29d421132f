// C2SP tlog checkpoints (c2sp.org/tlog-checkpoint): the signed tree head of the transparency
// log, carried as the text of a signed note (tlog/note.h). The body is
//
//   <origin>\n                 the log's name, e.g. "sealpost.example/audit"
//   <tree size>\n              ASCII decimal, no leading zeros
//   <base64(root hash)>\n      RFC 9162 tree hash, standard base64 with padding
//   [<extension line>\n ...]   optional, non-empty lines
//
// Byte layout and an example: docs/formats/checkpoint.md. SECURITY: ParseCheckpoint and
// OpenCheckpoint take untrusted text and refuse anything but the exact form above. Pure;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/signature.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace sealpost::tlog {

inline constexpr size_t kMaxCheckpointExtensions = 100;

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root_hash{};
  std::vector<std::string> extensions;  // without their newlines

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The note text of `checkpoint`. InvalidArgument if a field cannot be written as one line
// (empty origin or extension, a newline or control character in one).
Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint);
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// The checkpoint signed as a note by `key` under `key_name`.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, std::string_view key_name,
                                   const crypto::SigningKey& key);
// The checkpoint in `signed_note` if one of `verifiers` signed it (OpenNote's rules).
Result<Checkpoint> OpenCheckpoint(std::string_view signed_note,
                                  std::span<const NoteVerifier> verifiers);

}  // namespace sealpost::tlog
