// A 256-bit secret handed to a client (session cookie, e-mail link) and never stored.
//
// The store keeps only `Lookup()` (a one-way derivation) to find the record, and data wrapped
// under `WrappingKey()`, so a copy of the database can neither impersonate the holder nor unwrap
// what the secret protects. Sub-keys come from crypto_kdf with distinct ids (docs/architecture.md).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/key_roles.h"
#include "crypto/secret_bytes.h"

namespace sealpost::auth {

class BearerSecret final {
 public:
  static constexpr size_t kBytes = 32;

  static BearerSecret Generate();
  // Parses the client's copy (base64url, no padding). InvalidArgument when malformed.
  static Result<BearerSecret> Parse(std::string_view encoded);

  std::string Encode() const;       // what the client gets
  std::string Lookup() const;       // hex; safe to store and index
  crypto::Kek WrappingKey() const;  // wraps what this secret unlocks
  std::string CsrfToken() const;    // for sessions: sent back in X-CSRF-Token

 private:
  explicit BearerSecret(crypto::SecretBytes s) : secret_(std::move(s)) {}
  crypto::SecretBytes secret_;
};

}  // namespace sealpost::auth
