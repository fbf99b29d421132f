#include "pgp/member_key.h"

#include <chrono>
#include <string_view>

#include "crypto/security_policy.h"
#include "pgp/internal/member_context.h"
#include "pgp/internal/rnp_handles.h"
#include "pgp/internal/rnp_keys.h"

namespace sealpost::pgp {

namespace {

using internal::FromRnp;
using internal::GenerateOp;

// Settings shared by the primary key and the subkey: SHA-256 self-signatures, no expiry, and
// preferences that steer senders to AES-256 with SHA-256 and no compression.
Status Configure(rnp_op_generate_t op, const char* usage) {
  const std::string hash(crypto::policy::kOpenPgp.hash);
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_set_hash(op, hash.c_str()), "keygen hash"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_clear_usage(op), "keygen usage"));
  for (std::string_view u = usage; !u.empty();) {
    const size_t comma = u.find(',');
    const std::string one(u.substr(0, comma));
    SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_add_usage(op, one.c_str()), "keygen usage"));
    u = comma == std::string_view::npos ? std::string_view() : u.substr(comma + 1);
  }
  // 0: the key never expires (RNP 0.16 otherwise applies its own default of two years).
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_set_expiration(op, 0), "keygen expiration"));
  return Status::Ok();
}

Status SetPreferences(rnp_op_generate_t op) {
  const std::string hash(crypto::policy::kOpenPgp.hash);
  const std::string cipher(crypto::policy::kOpenPgp.cipher);
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_clear_pref_hashes(op), "keygen prefs"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_add_pref_hash(op, hash.c_str()), "keygen prefs"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_add_pref_hash(op, "SHA512"), "keygen prefs"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_clear_pref_ciphers(op), "keygen prefs"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_add_pref_cipher(op, cipher.c_str()), "keygen prefs"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_add_pref_cipher(op, "AES128"), "keygen prefs"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_clear_pref_compression(op), "keygen prefs"));
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_generate_add_pref_compression(op, "Uncompressed"), "keygen prefs"));
  return Status::Ok();
}

}  // namespace

Result<GeneratedMemberKey> GenerateMemberKey(const EmailAddress& address, TimePoint created) {
  crypto::EnsureInitialized();
  SP_ASSIGN_OR_RETURN(internal::Ffi ffi, internal::NewFfi(created));

  rnp_op_generate_t raw_op = nullptr;
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_create(&raw_op, ffi.get(), "EDDSA"), "keygen"));
  GenerateOp primary_op(raw_op);
  SP_RETURN_IF_ERROR(Configure(primary_op.get(), "sign,certify"));
  SP_RETURN_IF_ERROR(SetPreferences(primary_op.get()));
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_generate_set_userid(primary_op.get(), address.str().c_str()), "keygen uid"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_execute(primary_op.get()), "keygen primary"));
  rnp_key_handle_t raw_key = nullptr;
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_get_key(primary_op.get(), &raw_key), "keygen"));
  internal::Key primary(raw_key);

  raw_op = nullptr;
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_generate_subkey_create(&raw_op, ffi.get(), primary.get(), "ECDH"), "keygen"));
  GenerateOp sub_op(raw_op);
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_set_curve(sub_op.get(), "Curve25519"), "keygen"));
  SP_RETURN_IF_ERROR(Configure(sub_op.get(), "encrypt"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_execute(sub_op.get()), "keygen subkey"));
  raw_key = nullptr;
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_generate_get_key(sub_op.get(), &raw_key), "keygen"));
  internal::Key subkey(raw_key);

  SP_ASSIGN_OR_RETURN(std::string fingerprint, internal::Fingerprint(primary.get()));
  SP_ASSIGN_OR_RETURN(std::string sub_fingerprint, internal::Fingerprint(subkey.get()));
  SP_ASSIGN_OR_RETURN(Bytes public_key, internal::ExportPublic(primary.get(), false));
  SP_ASSIGN_OR_RETURN(Bytes armored, internal::ExportPublic(primary.get(), true));
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes secret, internal::ExportSecret(primary.get()));
  return GeneratedMemberKey{std::move(public_key), std::string(AsChars(armored)),
                            std::move(fingerprint), std::move(sub_fingerprint), std::move(secret)};
}

Result<std::string> ArmorPublicKey(ByteView public_key) {
  if (public_key.empty()) return InvalidArgument("no public key to armour");
  crypto::EnsureInitialized();
  SP_ASSIGN_OR_RETURN(internal::Input input, internal::InputOver(public_key));
  SP_ASSIGN_OR_RETURN(internal::Output output, internal::MemoryOutput());
  SP_RETURN_IF_ERROR(
      internal::FromRnp(rnp_enarmor(input.get(), output.get(), "public key"), "armour public key"));
  return std::string(AsChars(internal::OutputBytes(output.get())));
}

Result<std::unique_ptr<MemberKey>> MemberKey::Load(const crypto::SecretBytes& secret_key) {
  crypto::EnsureInitialized();
  // RNP's own clock is time(), which glibc reads from the coarse clock: it can lag the
  // system_clock a key was just generated at by a tick, and a key made this very second then
  // looks signed "1 seconds in future" and fails to load. Validate one second ahead instead.
  SP_ASSIGN_OR_RETURN(internal::Ffi ffi,
                      internal::NewFfi(std::chrono::system_clock::now() + std::chrono::seconds(1)));
  const Status imported = internal::ImportSecretKey(ffi.get(), secret_key);
  if (!imported.ok()) return InvalidArgument("member key: " + imported.message());
  SP_ASSIGN_OR_RETURN(std::vector<internal::Key> primaries, internal::PrimaryKeys(ffi.get()));
  if (primaries.size() != 1) return InvalidArgument("member key: not exactly one primary key");
  rnp_key_handle_t primary = primaries.front().get();
  SP_ASSIGN_OR_RETURN(const std::string alg, internal::Algorithm(primary));
  SP_ASSIGN_OR_RETURN(const bool has_secret,
                      internal::Flag(rnp_key_have_secret, primary, "have secret"));
  SP_ASSIGN_OR_RETURN(const bool is_protected,
                      internal::Flag(rnp_key_is_protected, primary, "is protected"));
  if (alg != "EDDSA" || !has_secret || is_protected) {
    return InvalidArgument("member key: the primary key is not an unprotected Ed25519 secret key");
  }
  SP_ASSIGN_OR_RETURN(std::vector<internal::Key> subkeys, internal::Subkeys(primary));
  std::string encryption_fingerprint;
  for (const internal::Key& sub : subkeys) {
    SP_ASSIGN_OR_RETURN(const std::string sub_alg, internal::Algorithm(sub.get()));
    SP_ASSIGN_OR_RETURN(const std::string curve, internal::Curve(sub.get()));
    SP_ASSIGN_OR_RETURN(const bool sub_secret,
                        internal::Flag(rnp_key_have_secret, sub.get(), "have secret"));
    SP_ASSIGN_OR_RETURN(const bool sub_protected,
                        internal::Flag(rnp_key_is_protected, sub.get(), "is protected"));
    if (sub_alg == "ECDH" && curve == "Curve25519" && sub_secret && !sub_protected) {
      SP_ASSIGN_OR_RETURN(encryption_fingerprint, internal::Fingerprint(sub.get()));
    }
  }
  if (encryption_fingerprint.empty()) {
    return InvalidArgument("member key: no unprotected Cv25519 secret subkey");
  }
  SP_ASSIGN_OR_RETURN(std::string fingerprint, internal::Fingerprint(primary));
  char* raw_uid = nullptr;
  const rnp_result_t uid_rc = rnp_key_get_primary_uid(primary, &raw_uid);
  internal::RnpString uid(raw_uid);
  SP_RETURN_IF_ERROR(FromRnp(uid_rc, "member key uid"));
  SP_ASSIGN_OR_RETURN(Bytes public_key, internal::ExportPublic(primary, false));
  primaries.clear();
  subkeys.clear();  // handles die before the context moves into its owner
  auto context = std::make_unique<internal::MemberContext>(std::move(ffi), fingerprint);
  return std::unique_ptr<MemberKey>(
      new MemberKey(crypto::SecretBytes::CopyOf(secret_key.view()), std::move(fingerprint),
                    std::move(encryption_fingerprint), internal::Str(uid), std::move(public_key),
                    std::move(context)));
}

MemberKey::MemberKey(crypto::SecretBytes secret_key, std::string fingerprint,
                     std::string encryption_fingerprint, std::string user_id, Bytes public_key,
                     std::unique_ptr<internal::MemberContext> context)
    : secret_key_(std::move(secret_key)),
      fingerprint_(std::move(fingerprint)),
      encryption_fingerprint_(std::move(encryption_fingerprint)),
      user_id_(std::move(user_id)),
      public_key_(std::move(public_key)),
      context_(std::move(context)) {}

MemberKey::~MemberKey() = default;

}  // namespace sealpost::pgp
