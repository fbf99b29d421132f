// Encrypt-and-sign for contacts that read OpenPGP, and its inverse (docs/formats/openpgp.md,
// "What Sealpost writes").
//
// What EncryptAndSign writes, whatever the recipient's key prefers: one PKESK to the contact's
// encryption key, a SEIPD v1 packet (CFB + MDC, integrity protected; never AEAD/OCB, which GnuPG
// 2.2 and Sequoia do not read) with AES-256 (kOpenPgp.cipher), holding a one-pass-signed,
// uncompressed literal packet signed with SHA-256 (kOpenPgp.hash) by the member's Ed25519 key;
// ASCII-armoured.
//
// Pure: times are parameters. Thread-safety: safe to call from any thread; calls with the same
// MemberKey take turns on its RNP context (pgp/internal/member_context.h), which also keeps the
// contact keys it has met loaded (up to a bound) so the next message to them costs less.
#pragma once

#include <string>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/secret_bytes.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"

namespace sealpost::pgp {

// Encrypts `plaintext` (the inner MIME entity, any bytes) to `recipient`'s encryption key and
// signs it as `signer`, with `now` as the signature's creation time. Returns the armoured
// message ("-----BEGIN PGP MESSAGE-----", LF line ends). Internal on an RNP failure; NotFound
// if the recipient's encryption key is missing from its public key bytes.
Result<std::string> EncryptAndSign(ByteView plaintext, const ContactKey& recipient,
                                   const MemberKey& signer, TimePoint now);

struct Decrypted {
  crypto::SecretBytes plaintext;
  std::string signer_fingerprint;  // primary key fingerprint of the good signature's key
  TimePoint signed_at;
};

// Decrypts `message` (armoured or binary) with `recipient`'s key and requires a good signature
// by `signer` made with an allowed hash (no MD5; no SHA-1 after kOpenPgp's data cut-off), judged
// at `now`. The message must be integrity protected (SEIPD with a valid MDC, or AEAD).
//
// SECURITY: `message` is untrusted (inbound mail). Every failure - not OpenPGP, not for this
// key, modified, unprotected, unsigned, signed by someone else - is one Unauthenticated with
// the detail in the message for the log; partial plaintext is wiped and never returned.
Result<Decrypted> DecryptAndVerify(ByteView message, const MemberKey& recipient,
                                   const ContactKey& signer, TimePoint now);

}  // namespace sealpost::pgp
