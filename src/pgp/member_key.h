// A member's OpenPGP key: what Sealpost signs outbound OpenPGP mail with and what contacts
// encrypt to (docs/formats/openpgp.md, "Member keys").
//
// Shape: an Ed25519 primary key (sign, certify) and a Cv25519 (X25519 ECDH) subkey (encrypt),
// one user ID that is the bare address, self-signatures with SHA-256, no expiry (the key lives
// as long as the membership; retiring it is a revocation, which is the key directory's job).
//
// Pure: no store, no clock (times are parameters). Thread-safety: GenerateMemberKey is
// reentrant; a MemberKey may be shared between threads (operations with one key take turns
// on its RNP context).
#pragma once

#include <memory>
#include <string>

#include "core/address.h"
#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/secret_bytes.h"

namespace sealpost::pgp {

namespace internal {
class MemberContext;
}  // namespace internal

// A freshly generated member key. `secret_key` is an unprotected transferable secret key
// (RFC 4880 section 11.2, binary): the caller wraps it under the member's UMK at once and keeps
// nothing else of it.
struct GeneratedMemberKey {
  Bytes public_key;                // transferable public key, binary
  std::string public_key_armored;  // the same, ASCII-armoured ("PGP PUBLIC KEY BLOCK")
  std::string fingerprint;         // primary key, 40 upper-case hex digits
  std::string encryption_fingerprint;
  crypto::SecretBytes secret_key;
};

// Generates a member key for `address`, with `created` as the creation time of the keys and
// their self-signatures. Internal on an RNP failure.
Result<GeneratedMemberKey> GenerateMemberKey(const EmailAddress& address, TimePoint created);

// A member key loaded from its secret key bytes: signs (and decrypts, pgp/encryptor.h) as that
// member. The secret material stays in zeroizing memory, and is loaded once into an RNP
// context the key owns (RNP clears its key material when the context goes).
class MemberKey final {
 public:
  // Loads what GenerateMemberKey produced. InvalidArgument unless the bytes hold exactly one
  // unprotected Ed25519 primary secret key with a Cv25519 secret subkey. SECURITY: the bytes
  // come from our own store (after unwrapping), not from the network.
  static Result<std::unique_ptr<MemberKey>> Load(const crypto::SecretBytes& secret_key);

  const std::string& fingerprint() const { return fingerprint_; }
  const std::string& encryption_fingerprint() const { return encryption_fingerprint_; }
  const std::string& user_id() const { return user_id_; }
  // The transferable public key (binary), as a contact would import it.
  const Bytes& public_key() const { return public_key_; }

  // The secret key bytes (e.g. to wrap them again). The one grep-able accessor.
  const crypto::SecretBytes& ExposeSecret() const { return secret_key_; }

  // pgp/'s RNP context with this key loaded (pgp/internal/member_context.h).
  internal::MemberContext& context() const { return *context_; }

  ~MemberKey();
  MemberKey(const MemberKey&) = delete;
  MemberKey& operator=(const MemberKey&) = delete;

 private:
  MemberKey(crypto::SecretBytes secret_key, std::string fingerprint,
            std::string encryption_fingerprint, std::string user_id, Bytes public_key,
            std::unique_ptr<internal::MemberContext> context);

  crypto::SecretBytes secret_key_;
  std::string fingerprint_;
  std::string encryption_fingerprint_;
  std::string user_id_;
  Bytes public_key_;
  std::unique_ptr<internal::MemberContext> context_;
};

}  // namespace sealpost::pgp
