// A member's key hierarchy (docs/architecture.md, "Keys"):
//
//   password ──argon2id──► KEK ─┐
//   recovery code ─argon2id─► KEK ─┼─wraps─► UMK (user master key) ─wraps─► X25519 + Ed25519
//   session secret ──KDF──► KEK ─┤
//   app password ───KDF──► KEK ─┘
//
// Every wrapping is AEAD with associated data naming its purpose and the user, so a wrapped key
// cannot be moved to another user or another slot. Byte layouts: docs/formats/key-slots.md. Each
// key role is its own type (crypto/key_roles.h: Umk, Kek, DataKey), so a KEK cannot be passed
// where the UMK is expected. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/ids.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/key_roles.h"
#include "crypto/password_hash.h"
#include "crypto/sealed_box.h"
#include "crypto/signature.h"

namespace sealpost::keys {

struct MemberKeyBundle {
  crypto::BoxKeyPair box;
  crypto::SigningKey signing;

  static MemberKeyBundle Generate();
};

// Which key-encryption key protects a wrapped UMK.
enum class UmkSlot { kPassword, kRecoveryCode, kSession, kVerificationToken, kAppPassword };

Bytes WrapBundle(const crypto::Umk& umk, const MemberKeyBundle& bundle, const UserId& user);
Result<MemberKeyBundle> UnwrapBundle(const crypto::Umk& umk, ByteView wrapped, const UserId& user);

// One half of the bundle, for use cases that need only that key: deriving a public key costs an
// elliptic-curve operation, so the other half is not derived.
Result<crypto::SigningKey> UnwrapSigningKey(const crypto::Umk& umk, ByteView wrapped,
                                            const UserId& user);
Result<crypto::BoxKeyPair> UnwrapBoxKey(const crypto::Umk& umk, ByteView wrapped,
                                        const UserId& user);

// The private halves of a member's certified keys (store::MemberKeysRecord): the S/MIME key as
// PKCS#8 DER, the OpenPGP key as a transferable secret key. Bound to the kind and the user, so
// one cannot be opened as the other or as another member's. The bytes are opaque here: the
// caller parses what it unwraps (smime::CertificateKey::FromPkcs8Der, pgp::MemberKey::Load).
enum class CertifiedKeyKind { kSmime, kOpenPgp };
Bytes WrapCertifiedKey(const crypto::Umk& umk, CertifiedKeyKind kind,
                       const crypto::SecretBytes& private_key, const UserId& user);
// Unauthenticated for a wrong UMK, user or kind, or a changed byte (nothing else is said).
Result<crypto::SecretBytes> UnwrapCertifiedKey(const crypto::Umk& umk, CertifiedKeyKind kind,
                                               ByteView wrapped, const UserId& user);

// A message's data key for the copy in its owner's own Sent folder, wrapped under the owner's
// UMK (no sealed box to oneself: same protection, no elliptic-curve work). Bound to the message
// and the owner.
Bytes WrapOwnCopyKey(const crypto::Umk& umk, const crypto::DataKey& data_key,
                     const MessageId& message, const UserId& owner);
Result<crypto::DataKey> UnwrapOwnCopyKey(const crypto::Umk& umk, ByteView wrapped,
                                         const MessageId& message, const UserId& owner);

Bytes WrapUmk(const crypto::Kek& kek, const crypto::Umk& umk, UmkSlot slot, const UserId& user);
Result<crypto::Umk> UnwrapUmk(const crypto::Kek& kek, ByteView wrapped, UmkSlot slot,
                              const UserId& user);

// Recovery codes: 160 random bits shown as eight groups of four base32 characters.
struct RecoveryCode {
  crypto::SecretBytes text;  // "ABCD-EFGH-…", shown to the member once
};
RecoveryCode GenerateRecoveryCode();
// Upper-cases and drops separators so "abcd efgh…" and "ABCD-EFGH-…" derive the same key.
Result<crypto::SecretBytes> NormaliseRecoveryCode(std::string_view typed);

}  // namespace sealpost::keys
