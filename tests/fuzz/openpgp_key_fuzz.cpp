// Fuzz target: contact OpenPGP keys through pgp::ImportPublicKey (pgp/public_key.h), as the key
// directory receives them (uploads, key servers, mail attachments).
//
// RNP has fuzzers of its own for its packet parsers (src/fuzzing in its tree); this one covers
// what Sealpost adds around them: the size and packet-count checks before RNP sees the bytes
// (a hand-written header walk), de-armouring, and the rule checks over RNP's view of the key.
//
// Invariants checked: no crash, exception or sanitizer report; a refusal is TooLarge for the
// limit problems and InvalidArgument for every other, and names a problem; an accepted key has
// 40-hex-digit fingerprints, a user ID, and re-imports from its own re-exported bytes to the same
// fingerprints (what the directory stores is what was checked).
//
// SECURITY: every byte is attacker-controlled.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/address.h"
#include "pgp/public_key.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool IsFingerprint(const std::string& s) {
  if (s.size() != 40) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace pgp = sealpost::pgp;
  using sealpost::ErrorCode;
  static const sealpost::EmailAddress kAddress =
      *sealpost::EmailAddress::Parse("alice@example.org");
  // A fixed time (2026-01-01) so that a saved input replays the same way on any day.
  static const sealpost::TimePoint kNow = sealpost::FromUnixMillis(1767225600000);

  const pgp::KeyImport result = pgp::ImportPublicKey({data, size}, kAddress, kNow);
  const sealpost::Status status = result.status();
  if (!result.ok()) {
    Check(result.problem() != pgp::KeyProblem::kNone);
    const bool limit = result.problem() == pgp::KeyProblem::kTooLarge ||
                       result.problem() == pgp::KeyProblem::kTooManyUserIds ||
                       result.problem() == pgp::KeyProblem::kTooManySubkeys;
    Check(status.code() == (limit ? ErrorCode::kTooLarge : ErrorCode::kInvalidArgument));
    return 0;
  }
  Check(status.ok());
  const pgp::ContactKey& key = result.key();
  Check(IsFingerprint(key.fingerprint));
  Check(IsFingerprint(key.encryption_fingerprint));
  Check(!key.user_id.empty());
  Check(!key.public_key.empty());
  const pgp::KeyImport again = pgp::ImportPublicKey(key.public_key, kAddress, kNow);
  Check(again.ok());
  Check(again.key().fingerprint == key.fingerprint);
  Check(again.key().encryption_fingerprint == key.encryption_fingerprint);
  return 0;
}
