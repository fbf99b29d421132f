// The bare RNP baseline for the OpenPGP benchmarks: encrypt-and-sign written directly against
// RNP's FFI, with the signer's secret key and the recipient's public key loaded once into one
// long-lived context — the same cipher (AES-256), hash (SHA-256), no AEAD, no compression,
// armoured, as pgp::EncryptAndSign writes. Header-only; bench use only. Not thread-safe.
#pragma once

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/encoding.h"

namespace sealpost::bench::rnp {

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  std::exit(1);
}

inline void Check(rnp_result_t rc, const char* what) {
  if (rc != RNP_SUCCESS) Die(std::string(what) + ": " + rnp_result_to_string(rc));
}

class BareEncryptor final {
 public:
  // `signer_secret`: a transferable secret key (unprotected); `recipient_public`: a public key.
  BareEncryptor(ByteView signer_secret, ByteView recipient_public,
                const std::string& signer_fingerprint, const std::string& recipient_fingerprint) {
    Check(rnp_ffi_create(&ffi_, RNP_KEYSTORE_GPG, RNP_KEYSTORE_GPG), "ffi");
    for (const ByteView key : {signer_secret, recipient_public}) {
      rnp_input_t in = nullptr;
      Check(rnp_input_from_memory(&in, key.data(), key.size(), false), "input");
      Check(
          rnp_import_keys(ffi_, in, RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS, nullptr),
          "import");
      rnp_input_destroy(in);
    }
    Check(rnp_locate_key(ffi_, "fingerprint", recipient_fingerprint.c_str(), &to_), "locate");
    Check(rnp_locate_key(ffi_, "fingerprint", signer_fingerprint.c_str(), &from_), "locate");
    if (to_ == nullptr || from_ == nullptr) Die("keys not found");
  }
  ~BareEncryptor() {
    rnp_key_handle_destroy(to_);
    rnp_key_handle_destroy(from_);
    rnp_ffi_destroy(ffi_);
  }
  BareEncryptor(const BareEncryptor&) = delete;
  BareEncryptor& operator=(const BareEncryptor&) = delete;

  // Encrypts and signs `message`; returns the armoured size.
  size_t EncryptAndSign(ByteView message) {
    rnp_input_t in = nullptr;
    rnp_output_t out = nullptr;
    rnp_op_encrypt_t op = nullptr;
    rnp_op_sign_signature_t sig = nullptr;
    Check(rnp_input_from_memory(&in, message.data(), message.size(), false), "input");
    Check(rnp_output_to_memory(&out, 0), "output");
    Check(rnp_op_encrypt_create(&op, ffi_, in, out), "encrypt");
    Check(rnp_op_encrypt_add_recipient(op, to_), "recipient");
    Check(rnp_op_encrypt_add_signature(op, from_, &sig), "signature");
    Check(rnp_op_encrypt_set_hash(op, "SHA256"), "hash");
    Check(rnp_op_encrypt_set_cipher(op, "AES256"), "cipher");
    Check(rnp_op_encrypt_set_aead(op, "None"), "aead");
    Check(rnp_op_encrypt_set_compression(op, "Uncompressed", 0), "compression");
    Check(rnp_op_encrypt_set_armor(op, true), "armor");
    Check(rnp_op_encrypt_execute(op), "execute");
    uint8_t* buf = nullptr;
    size_t len = 0;
    Check(rnp_output_memory_get_buf(out, &buf, &len, false), "buf");
    rnp_op_encrypt_destroy(op);
    rnp_output_destroy(out);
    rnp_input_destroy(in);
    return len;
  }

 private:
  rnp_ffi_t ffi_ = nullptr;
  rnp_key_handle_t to_ = nullptr;
  rnp_key_handle_t from_ = nullptr;
};

}  // namespace sealpost::bench::rnp
