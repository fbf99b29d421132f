// Key roles: one type per job a symmetric key does, so that a key cannot be passed where a key of
// another role is expected (docs/architecture.md, convention 4: "keys are types").
//
//   Umk      a member's user master key: wraps their X25519 + Ed25519 keys and their own copies
//            of message data keys (keys/member_keys.h).
//   Kek      a key-encryption key: derived from a password or a recovery code (argon2id,
//            crypto/password_hash.h), or from a bearer secret (session, verification or pickup
//            link, pickup token; auth/bearer_secret.h, KDF). Wraps a Umk or a DataKey.
//   DataKey  a message's data key: encrypts its summary and body (app/message_codec.h).
//   BlobKey  an attachment's key: encrypts its blob (blob/blob_store.h); kept, with the digest,
//            in the message summary and in an upload's key blob (keys/upload_key_blob.h).
//
// The platform master key has its own class (keys/master_key.h) and no TypedKey.
//
// Each is a TypedKey<Role> over an AeadKey. Construction is private: a key of a role comes only
// from Generate, from FromSecret (exactly 32 bytes of key material, e.g. just unwrapped) or from
// AdoptAs (an AeadKey that a derivation produced), so a key changes role only where the code says
// so (grep for AdoptAs). The AEAD functions take the untyped key through `aead()`; the raw bytes
// leave only through ExposeSecret, as with AeadKey. Different roles are distinct types with no
// conversion between them: WrapUmk(kek, umk) with its arguments swapped does not compile
// (keys/member_keys_test.cpp proves it).
//
// Secret. Thread-safety: immutable after construction, like AeadKey. Move-only.
#pragma once

#include <utility>

#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

template <typename Role>
class TypedKey final {
 public:
  // A fresh random key.
  static TypedKey Generate() { return TypedKey(AeadKey::Generate()); }
  // Takes ownership of exactly kAeadKeyBytes of key material; InvalidArgument otherwise.
  static Result<TypedKey> FromSecret(SecretBytes secret) {
    SP_ASSIGN_OR_RETURN(AeadKey key, AeadKey::FromSecret(std::move(secret)));
    return TypedKey(std::move(key));
  }
  // Gives an untyped key (from a KDF or argon2id) this role. The one way in: keep uses rare.
  static TypedKey AdoptAs(AeadKey key) { return TypedKey(std::move(key)); }

  TypedKey(TypedKey&&) noexcept = default;
  TypedKey& operator=(TypedKey&&) noexcept = default;
  TypedKey(const TypedKey&) = delete;
  TypedKey& operator=(const TypedKey&) = delete;

  // The untyped key, for AeadSeal/AeadOpen and the stream AEAD.
  const AeadKey& aead() const { return key_; }
  // The raw key bytes (wrapping, sealed boxes): the one grep-able way out, as AeadKey's.
  const SecretBytes& ExposeSecret() const { return key_.ExposeSecret(); }
  const AeadKeyId& key_id() const { return key_.key_id(); }
  // A second object holding the same key (e.g. for a reader that outlives the caller's copy).
  TypedKey Duplicate() const {
    return TypedKey(*AeadKey::FromSecret(SecretBytes::CopyOf(key_.ExposeSecret().view())));
  }

 private:
  explicit TypedKey(AeadKey key) : key_(std::move(key)) {}
  AeadKey key_;
};

struct UmkRole;
struct KekRole;
struct DataKeyRole;
struct BlobKeyRole;

using Umk = TypedKey<UmkRole>;
using Kek = TypedKey<KekRole>;
using DataKey = TypedKey<DataKeyRole>;
using BlobKey = TypedKey<BlobKeyRole>;

}  // namespace sealpost::crypto
