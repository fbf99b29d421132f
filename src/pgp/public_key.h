// Contact keys: importing and validating an OpenPGP public key that someone else made, before
// Sealpost encrypts to it (docs/formats/openpgp.md, "Import rules").
//
// Pure: no store, no clock (`now` is a parameter and is what "revoked", "expired" and signature
// checks are judged at). Thread-safety: reentrant; a ContactKey is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/address.h"
#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"

namespace sealpost::pgp {

// Why a key was refused: a stable code for the key directory and the UI.
enum class KeyProblem {
  kNone = 0,
  kTooLarge,         // over kImport.max_openpgp_key_bytes
  kTooManyUserIds,   // over kImport.max_openpgp_user_ids (user IDs and attributes)
  kTooManySubkeys,   // over kImport.max_openpgp_subkeys
  kSecretKey,        // secret key material where a public key was expected
  kNoEncryptionKey,  // no key (primary or subkey) may encrypt
  kRevoked,          // the key, or every encryption key, or the matching user ID is revoked
  kExpired,          // the key, or every encryption key, has expired at `now`
  kAddressMismatch,  // no valid user ID carries the expected address
  kWeakAlgorithm,    // an algorithm, size, curve or self-signature hash kOpenPgp refuses
  kBadSignature,     // a self-signature does not verify (or the key is not valid at `now`)
  kNotOpenPgp,       // not an OpenPGP key, or not exactly one primary key
};

// "too-large", "too-many-user-ids", ... (the slugs of docs/formats/openpgp.md).
std::string_view KeyProblemName(KeyProblem problem);

// A contact's key that passed every rule.
struct ContactKey {
  std::string fingerprint;           // primary key, 40 upper-case hex digits
  std::string algorithm;             // of the primary key: "EDDSA Ed25519", "RSA 3072", ...
  TimePoint created;                 // primary key creation
  std::optional<TimePoint> expires;  // primary key expiry, if it has one
  std::string user_id;  // the valid user ID that carries the expected address, as written
  std::string encryption_fingerprint;  // the key Sealpost encrypts to (a subkey, or the primary)
  std::string encryption_algorithm;
  std::optional<TimePoint> encryption_expires;
  Bytes public_key;  // the transferable public key as RNP re-exported it (binary)
};

// ImportPublicKey's answer: a ContactKey, or the problem and a Status for the log.
class KeyImport final {
 public:
  static KeyImport Accepted(ContactKey key) { return KeyImport(std::move(key)); }
  static KeyImport Refused(KeyProblem problem, std::string detail);

  bool ok() const { return problem_ == KeyProblem::kNone; }
  KeyProblem problem() const { return problem_; }
  // Valid only when ok().
  const ContactKey& key() const { return *key_; }
  ContactKey&& TakeKey() && { return std::move(*key_); }
  // OK, or TooLarge (size and count limits) / InvalidArgument (every other problem), with a
  // message that describes the submitted key (ShownToClient) and names the problem's slug.
  Status status() const;
  // When refused as kRevoked (a valid revocation signature on the primary key, on the user ID
  // of the expected address, or on every encryption key): the primary key's fingerprint, so that
  // a revocation certificate can revoke the copy of the key already in the directory. Else "".
  const std::string& revoked_fingerprint() const { return revoked_fingerprint_; }
  KeyImport WithRevokedFingerprint(std::string fingerprint) && {
    if (problem_ == KeyProblem::kRevoked) revoked_fingerprint_ = std::move(fingerprint);
    return std::move(*this);
  }

 private:
  explicit KeyImport(ContactKey key) : key_(std::move(key)) {}
  KeyImport(KeyProblem problem, std::string detail)
      : problem_(problem), detail_(std::move(detail)) {}

  KeyProblem problem_ = KeyProblem::kNone;
  std::string detail_;
  std::optional<ContactKey> key_;
  std::string revoked_fingerprint_;
};

// Imports one transferable public key, ASCII-armoured or binary, for `expected` at `now`.
//
// Rules, in order (the first broken one is reported): the size limit; the packet counts (user
// IDs, subkeys) read from the packet headers alone, and no secret key packet (the copy of a
// secret key this function made is wiped); exactly one primary key; every algorithm, RSA size and
// curve allowed by kOpenPgp, and no SHA-1 (or MD5) self-signature made after kOpenPgp's cut-off;
// the primary key neither revoked nor expired and its self-signatures valid; a valid, unrevoked
// user ID whose address ("addr" or "Name <addr>", compared as EmailAddress does) is `expected`;
// a valid encryption-capable key (primary or subkey) with an allowed algorithm that is neither
// revoked nor expired at `now` (the newest such one is chosen).
//
// SECURITY: `bytes` is untrusted (a contact's upload, a key server, a mail attachment). Size
// and counts are checked before RNP parses anything; RNP then parses at most
// kImport.max_openpgp_key_bytes. Never crashes or throws on any input (fuzzed:
// tests/fuzz/openpgp_key_fuzz.cpp).
KeyImport ImportPublicKey(ByteView bytes, const EmailAddress& expected, TimePoint now);

// ImportPublicKey for many addresses whose keys may repeat (the recipients of one send; a key
// that names several of them): each distinct key (by its bytes) is read and its signatures
// checked once, then only the user ID of each address is looked for. The answers are
// ImportPublicKey's at `now`. Not thread-safe; holds the keys read until it goes.
class PublicKeyImporter final {
 public:
  explicit PublicKeyImporter(TimePoint now);
  ~PublicKeyImporter();
  PublicKeyImporter(const PublicKeyImporter&) = delete;
  PublicKeyImporter& operator=(const PublicKeyImporter&) = delete;

  KeyImport Import(ByteView bytes, const EmailAddress& expected);
  TimePoint now() const { return now_; }

 private:
  struct Checked;
  TimePoint now_;
  std::map<std::string, std::unique_ptr<Checked>> keys_;  // by SHA-256 of the bytes
};

// How many keys ImportPublicKey and PublicKeyImporter read in this process (each read checks
// every user ID's self-signature, the costly part of a send to OpenPGP recipients): lets the
// tests see that a send parses each recipient's key once.
uint64_t PublicKeyImports();

}  // namespace sealpost::pgp
