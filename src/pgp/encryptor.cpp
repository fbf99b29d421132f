#include "pgp/encryptor.h"

#include <fmt/format.h>

#include "crypto/security_policy.h"
#include "pgp/internal/member_context.h"
#include "pgp/internal/rnp_handles.h"
#include "pgp/internal/rnp_keys.h"

namespace sealpost::pgp {

namespace {

using internal::FromRnp;
namespace policy = crypto::policy;

Result<std::string> PrimaryFingerprintOf(rnp_key_handle_t key) {
  SP_ASSIGN_OR_RETURN(const bool primary, internal::Flag(rnp_key_is_primary, key, "is primary"));
  if (primary) return internal::Fingerprint(key);
  char* raw = nullptr;
  const rnp_result_t rc = rnp_key_get_primary_fprint(key, &raw);
  internal::RnpString fp(raw);
  SP_RETURN_IF_ERROR(FromRnp(rc, "primary fingerprint"));
  return internal::Str(fp);
}

// The checks after a successful rnp_op_verify_execute.
Result<Decrypted> Verified(rnp_op_verify_t op, const ContactKey& signer) {
  char* raw_mode = nullptr;
  bool protection_valid = false;
  const rnp_result_t rc =
      rnp_op_verify_get_protection_info(op, &raw_mode, nullptr, &protection_valid);
  internal::RnpString mode(raw_mode);
  SP_RETURN_IF_ERROR(FromRnp(rc, "protection info"));
  const std::string m = internal::Str(mode);
  if (!protection_valid || (m != "cfb-mdc" && m != "aead-eax" && m != "aead-ocb")) {
    return Unauthenticated("message is not integrity protected (" + m + ")");
  }
  size_t count = 0;
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_verify_get_signature_count(op, &count), "signatures"));
  std::string seen;
  for (size_t i = 0; i < count; ++i) {
    rnp_op_verify_signature_t sig = nullptr;
    SP_RETURN_IF_ERROR(FromRnp(rnp_op_verify_get_signature_at(op, i, &sig), "signature"));
    const rnp_result_t status = rnp_op_verify_signature_get_status(sig);
    if (status != RNP_SUCCESS) {
      seen += fmt::format(" [{}]", rnp_result_to_string(status));
      continue;
    }
    rnp_key_handle_t raw_key = nullptr;
    SP_RETURN_IF_ERROR(FromRnp(rnp_op_verify_signature_get_key(sig, &raw_key), "signer"));
    internal::Key key(raw_key);
    if (!key) continue;
    SP_ASSIGN_OR_RETURN(const std::string fp, PrimaryFingerprintOf(key.get()));
    if (fp != signer.fingerprint) {
      seen += " [good signature by " + fp + "]";
      continue;
    }
    char* raw_hash = nullptr;
    const rnp_result_t hrc = rnp_op_verify_signature_get_hash(sig, &raw_hash);
    internal::RnpString hash(raw_hash);
    SP_RETURN_IF_ERROR(FromRnp(hrc, "signature hash"));
    uint32_t created = 0;
    uint32_t expires = 0;
    SP_RETURN_IF_ERROR(
        FromRnp(rnp_op_verify_signature_get_times(sig, &created, &expires), "signature times"));
    const std::string h = internal::Str(hash);
    if (h == "MD5" ||
        (h == "SHA1" && int64_t{created} > policy::kOpenPgp.sha1_data_signature_cutoff)) {
      seen += " [weak hash " + h + "]";
      continue;
    }
    return Decrypted{crypto::SecretBytes(0), fp, internal::FromRnpTime(created)};
  }
  return Unauthenticated(
      fmt::format("no good signature by {} ({} signatures:{})", signer.fingerprint, count, seen));
}

}  // namespace

Result<std::string> EncryptAndSign(ByteView plaintext, const ContactKey& recipient,
                                   const MemberKey& signer, TimePoint now) {
  crypto::EnsureInitialized();
  // Declared first, so every handle below is gone before the context is unlocked.
  SP_ASSIGN_OR_RETURN(internal::MemberContext::Use use, signer.context().Begin(recipient, now));
  rnp_ffi_t ffi = use.ffi();
  SP_ASSIGN_OR_RETURN(internal::Key to,
                      internal::KeyByFingerprint(ffi, recipient.encryption_fingerprint));
  SP_ASSIGN_OR_RETURN(internal::Key from, internal::KeyByFingerprint(ffi, signer.fingerprint()));

  SP_ASSIGN_OR_RETURN(internal::Input input, internal::InputOver(plaintext));
  SP_ASSIGN_OR_RETURN(internal::Output output, internal::MemoryOutput());
  rnp_op_encrypt_t raw_op = nullptr;
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_encrypt_create(&raw_op, ffi, input.get(), output.get()), "encrypt"));
  internal::EncryptOp op(raw_op);
  const std::string cipher(policy::kOpenPgp.cipher);
  const std::string hash(policy::kOpenPgp.hash);
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_encrypt_add_recipient(op.get(), to.get()), "recipient"));
  rnp_op_sign_signature_t sig = nullptr;
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_encrypt_add_signature(op.get(), from.get(), &sig), "signer"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_sign_signature_set_hash(sig, hash.c_str()), "sign hash"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_encrypt_set_hash(op.get(), hash.c_str()), "hash"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_encrypt_set_cipher(op.get(), cipher.c_str()), "cipher"));
  // SEIPD v1 (CFB + MDC): AEAD packets (RNP's v5 OCB/EAX) are not read by GnuPG 2.2 or Sequoia.
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_encrypt_set_aead(op.get(), "None"), "aead"));
  // No compression: it buys little for MIME and leaks length information about the plaintext.
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_encrypt_set_compression(op.get(), "Uncompressed", 0), "compression"));
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_encrypt_set_creation_time(op.get(), internal::ToRnpTime(now)), "time"));
  SP_RETURN_IF_ERROR(FromRnp(rnp_op_encrypt_set_armor(op.get(), true), "armor"));
  const Status done = FromRnp(rnp_op_encrypt_execute(op.get()), "encrypt");
  if (!done.ok()) return Internal(done.message());
  return std::string(AsChars(internal::OutputBytes(output.get())));
}

Result<Decrypted> DecryptAndVerify(ByteView message, const MemberKey& recipient,
                                   const ContactKey& signer, TimePoint now) {
  crypto::EnsureInitialized();
  if (message.empty()) return Unauthenticated("empty OpenPGP message");
  SP_ASSIGN_OR_RETURN(internal::MemberContext::Use use, recipient.context().Begin(signer, now));
  SP_ASSIGN_OR_RETURN(internal::Input input, internal::InputOver(message));
  SP_ASSIGN_OR_RETURN(internal::Output output, internal::MemoryOutput());
  rnp_op_verify_t raw_op = nullptr;
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_op_verify_create(&raw_op, use.ffi(), input.get(), output.get()), "verify"));
  internal::VerifyOp op(raw_op);
  const rnp_result_t rc = rnp_op_verify_execute(op.get());
  if (rc != RNP_SUCCESS) {
    internal::WipeOutput(output.get());
    return Unauthenticated(FromRnp(rc, "decrypt and verify").message());
  }
  auto verified = Verified(op.get(), signer);
  if (!verified.ok()) {
    internal::WipeOutput(output.get());
    return Unauthenticated(verified.status().message());
  }
  verified->plaintext = internal::TakeSecretOutput(output.get());
  return verified;
}

}  // namespace sealpost::pgp
