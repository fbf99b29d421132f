// The key directory's storage: contacts' public keys (S/MIME certificates, OpenPGP keys) that
// members or administrators imported, and the trust anchors (CA certificates) administrators
// added. Part of the Store (store/store.h). Only public material is kept here.
//
// A contact key belongs to a member (owner) or, with no owner, to the whole organisation (added
// by an administrator, e.g. for a partner domain). Deleting one keeps the row, marked deleted,
// for the evidence of what was trusted when; readers never return deleted rows.
//
// Thread-safe, like the rest of the Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::store {

using ContactKeyId = Id<struct ContactKeyIdTag>;
using TrustAnchorId = Id<struct TrustAnchorIdTag>;

// Stored as integers: never renumber.
enum class ContactKeyKind : uint8_t { kSmime = 1, kOpenPgp = 2 };
// kSignedMail: a member imported the certificates of a signed mail; kSeenInMail: the inbound
// gateway found the key in mail to the member (app/internal/seen_keys.h), offered but not
// trusted until the member verifies it (or, for a certificate, it chains to an anchor).
enum class ContactKeySource : uint8_t { kUpload = 1, kSignedMail = 2, kSeenInMail = 3 };

struct ContactKeyRecord {
  ContactKeyId id;
  std::optional<UserId> owner;  // none: organisation-wide
  std::string address;          // lower-cased
  ContactKeyKind kind = ContactKeyKind::kSmime;
  Bytes material;           // DER certificate, or binary transferable OpenPGP public key
  std::string chain_pem;    // S/MIME: the CA certificates that came with it (PEM), or ""
  std::string fingerprint;  // SHA-256 hex (S/MIME) or the primary key's (OpenPGP)
  std::string algorithm;    // for display: "RSA 3072", "EC prime256v1", "EDDSA Ed25519"
  TimePoint not_before;
  std::optional<TimePoint> not_after;
  ContactKeySource source = ContactKeySource::kUpload;
  UserId added_by;
  TimePoint added_at;
  std::optional<UserId> verified_by;  // personally verified (fingerprint compared)
  std::optional<TimePoint> verified_at;
  std::optional<TimePoint> revoked_at;
  std::string revoked_reason;  // what the revoker said, or "" ("" also for a key never revoked)
  // S/MIME: the ciphers the contact's signed mail announced in its SMIMECapabilities, recorded at
  // import for the envelope choice: "aes256-gcm", "aes256-cbc", both space-separated, "none"
  // when it listed neither; "" when no signed mail of theirs was seen (a plain certificate).
  std::string smime_capabilities;
};

struct TrustAnchorRecord {
  TrustAnchorId id;
  Bytes der;
  std::string subject;      // RFC 2253
  std::string fingerprint;  // SHA-256 hex of the DER
  UserId added_by;
  TimePoint added_at;
};

class KeysReader {
 public:
  virtual ~KeysReader() = default;

  // A live (not deleted) key; NotFound otherwise.
  virtual Result<ContactKeyRecord> GetContactKey(const ContactKeyId& id) = 0;
  // The live keys of `owner`, or the organisation-wide ones when none, by address then age.
  virtual Result<std::vector<ContactKeyRecord>> ListContactKeys(
      const std::optional<UserId>& owner) = 0;
  // The live keys for `address` that `owner` may use: their own, then organisation-wide ones.
  virtual Result<std::vector<ContactKeyRecord>> FindContactKeys(const UserId& owner,
                                                                const std::string& address) = 0;
  virtual Result<std::vector<TrustAnchorRecord>> ListTrustAnchors() = 0;
};

class KeysWriter {
 public:
  virtual ~KeysWriter() = default;

  // Conflict when the same key (fingerprint) is live already for this owner and address.
  virtual Status AddContactKey(const ContactKeyRecord& key) = 0;
  // Live keys of `owner` (organisation-wide when none).
  virtual Result<int64_t> CountContactKeys(const std::optional<UserId>& owner) = 0;
  // NotFound unless the key is live.
  virtual Status MarkContactKeyVerified(const ContactKeyId& id, const UserId& by, TimePoint at) = 0;
  // NotFound unless the key is live; Conflict when it is revoked already.
  virtual Status MarkContactKeyRevoked(const ContactKeyId& id, TimePoint at,
                                       const std::string& reason) = 0;
  virtual Status DeleteContactKey(const ContactKeyId& id, TimePoint at) = 0;

  // Conflict when an anchor with the same fingerprint exists.
  virtual Status AddTrustAnchor(const TrustAnchorRecord& anchor) = 0;
  // Removes it; NotFound when there is none.
  virtual Status DeleteTrustAnchor(const TrustAnchorId& id) = 0;
};

}  // namespace sealpost::store
