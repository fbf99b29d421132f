// A member's own certified keys (an S/MIME certificate from the platform CA and an OpenPGP key,
// made at enrolment or at the first log-in after: app/internal/certified_keys.h), as the
// Settings screen and the API show and hand them out. Public parts only: the private halves stay
// wrapped under the member's UMK.
//
// SECURITY: the caller is an authenticated member (AuthContext) and sees only their own keys;
// nothing here takes other input. NotFound (shown to the client) when the member has no keys yet
// (the platform PKI is not configured, or they were not made yet). Thread-safe.
#pragma once

#include <string>

#include "app/auth_context.h"
#include "app/services.h"

namespace sealpost::app {

struct MemberKeysView {
  std::string smime_sha256;   // lower-case hex SHA-256 of the certificate (DER)
  std::string smime_serial;   // upper-case hex, whole bytes (as openssl x509 -serial)
  std::string smime_subject;  // RFC 2253
  std::string smime_issuer;   // RFC 2253
  TimePoint smime_not_after;
  std::string openpgp_fingerprint;  // primary key, 40 upper-case hex digits
  std::string openpgp_algorithm;    // "ed25519/cv25519": signing primary / encryption subkey
  std::string openpgp_user_id;      // the address
  TimePoint created_at;
};

class AccountKeys final {
 public:
  explicit AccountKeys(const Services& services) : s_(services) {}

  Result<MemberKeysView> Describe(const AuthContext& ctx) const;
  // The member's certificate, DER.
  Result<Bytes> SmimeCertificateDer(const AuthContext& ctx) const;
  // The member's certificate then the CA chain above it (issuing CA, root), PEM.
  Result<std::string> SmimeCertificatePem(const AuthContext& ctx) const;
  // The OpenPGP transferable public key, ASCII-armoured.
  Result<std::string> OpenPgpPublicKey(const AuthContext& ctx) const;

 private:
  Result<store::MemberKeysRecord> Load(const AuthContext& ctx) const;

  Services s_;
};

}  // namespace sealpost::app
