// C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys: a UTF-8 text ending in a newline,
// a blank line, then one signature line per signer:
//
//   — <key name> <base64(key hash (4 bytes, big-endian) ‖ Ed25519 signature of the text)>
//
// The key hash is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key) (0x01: the
// Ed25519 signature type). A verifier key is written "<name>+<key hash hex>+<base64(0x01 ‖ key)>".
//
// SECURITY: ParseNote and OpenNote take untrusted bytes. Limits: 1 MiB, 100 signatures. Opening
// ignores signatures by keys it was not given (as the spec says), refuses a note whose signature
// by a given key does not verify, and refuses one with no signature by a given key. Pure;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/signature.h"

namespace sealpost::tlog {

inline constexpr size_t kMaxNoteBytes = 1 << 20;
inline constexpr size_t kMaxNoteSignatures = 100;

struct NoteSignature {
  std::string name;
  uint32_t key_hash = 0;
  Bytes signature;  // what follows the key hash: 64 bytes for Ed25519, opaque for others
};

struct Note {
  std::string text;  // ends in "\n"; what the signatures sign
  std::vector<NoteSignature> signatures;
};

// A key that may sign notes: its name and Ed25519 public key.
struct NoteVerifier {
  std::string name;
  crypto::VerifyKey key;

  uint32_t key_hash() const;
};

// True for a key name we accept: non-empty, printable ASCII, no space and no '+'.
bool IsValidKeyName(std::string_view name);
uint32_t Ed25519KeyHash(std::string_view name, const crypto::VerifyKey& key);

// "<name>+<8 hex>+<base64(0x01 ‖ key)>", and back (the key hash must match).
std::string FormatVerifierKey(const NoteVerifier& verifier);
Result<NoteVerifier> ParseVerifierKey(std::string_view vkey);

// Splits a signed note into its text and signature lines; checks syntax only.
Result<Note> ParseNote(std::string_view message);
// The text, a blank line and one signature line by `key` under `name`. InvalidArgument for a
// text that is not valid note text (UTF-8, no control character but "\n", ends in "\n") or an
// invalid name.
Result<std::string> SignNote(std::string_view text, std::string_view name,
                             const crypto::SigningKey& key);
// The text of `message` if one of `verifiers` signed it (see SECURITY above): InvalidArgument
// for a malformed note, Unauthenticated when no signature by a given key verifies.
Result<std::string> OpenNote(std::string_view message, std::span<const NoteVerifier> verifiers);

}  // namespace sealpost::tlog
