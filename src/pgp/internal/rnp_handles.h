// RAII over RNP 0.16's C FFI (rnp/rnp.h) and the mapping of rnp_result_t to Status.
//
// Every RNP handle pgp/ touches lives in one of these unique_ptr types, so that no early return
// leaks a handle, a key store or a buffer. Nothing here throws: RNP's FFI never does (its entry
// points catch everything, FFI_GUARD), and allocation failures come back as rnp_result_t codes.
//
// Thread-safety: an rnp_ffi_t and everything made from it belong to one thread at a time; these
// wrappers add no locking. Distinct ffi objects may be used concurrently.
#pragma once

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/secret_bytes.h"

namespace sealpost::pgp::internal {

struct FfiDeleter {
  void operator()(rnp_ffi_t p) const { (void)rnp_ffi_destroy(p); }
};
struct InputDeleter {
  void operator()(rnp_input_t p) const { (void)rnp_input_destroy(p); }
};
struct OutputDeleter {
  void operator()(rnp_output_t p) const { (void)rnp_output_destroy(p); }
};
struct KeyDeleter {
  void operator()(rnp_key_handle_t p) const { (void)rnp_key_handle_destroy(p); }
};
struct UidDeleter {
  void operator()(rnp_uid_handle_t p) const { (void)rnp_uid_handle_destroy(p); }
};
struct SignatureDeleter {
  void operator()(rnp_signature_handle_t p) const { (void)rnp_signature_handle_destroy(p); }
};
struct EncryptDeleter {
  void operator()(rnp_op_encrypt_t p) const { (void)rnp_op_encrypt_destroy(p); }
};
struct VerifyDeleter {
  void operator()(rnp_op_verify_t p) const { (void)rnp_op_verify_destroy(p); }
};
struct IteratorDeleter {
  void operator()(rnp_identifier_iterator_t p) const { (void)rnp_identifier_iterator_destroy(p); }
};
struct GenerateDeleter {
  void operator()(rnp_op_generate_t p) const { (void)rnp_op_generate_destroy(p); }
};
struct BufferDeleter {
  void operator()(char* p) const { rnp_buffer_destroy(p); }
};

using Ffi = std::unique_ptr<std::remove_pointer_t<rnp_ffi_t>, FfiDeleter>;
using Input = std::unique_ptr<std::remove_pointer_t<rnp_input_t>, InputDeleter>;
using Output = std::unique_ptr<std::remove_pointer_t<rnp_output_t>, OutputDeleter>;
using Key = std::unique_ptr<std::remove_pointer_t<rnp_key_handle_t>, KeyDeleter>;
using Uid = std::unique_ptr<std::remove_pointer_t<rnp_uid_handle_t>, UidDeleter>;
using Signature = std::unique_ptr<std::remove_pointer_t<rnp_signature_handle_t>, SignatureDeleter>;
using EncryptOp = std::unique_ptr<std::remove_pointer_t<rnp_op_encrypt_t>, EncryptDeleter>;
using VerifyOp = std::unique_ptr<std::remove_pointer_t<rnp_op_verify_t>, VerifyDeleter>;
using GenerateOp = std::unique_ptr<std::remove_pointer_t<rnp_op_generate_t>, GenerateDeleter>;
using Iterator = std::unique_ptr<std::remove_pointer_t<rnp_identifier_iterator_t>, IteratorDeleter>;
// A string RNP allocated (rnp_buffer_destroy).
using RnpString = std::unique_ptr<char, BufferDeleter>;

// OK for RNP_SUCCESS; otherwise a Status whose code follows the RNP error class (bad data is
// InvalidArgument, a failed MAC/signature/decryption is Unauthenticated, memory and state errors
// are Internal) and whose message names `what` and RNP's own text, for the log.
Status FromRnp(rnp_result_t result, std::string_view what);

// An empty key store in RNP's GPG format. `now`, when set, replaces the wall clock for key
// validity, signature checks and the creation time of what the store makes (rnp_set_timestamp).
Result<Ffi> NewFfi(TimePoint now = {});

// An input over `bytes` without copying: the bytes must outlive the input.
Result<Input> InputOver(ByteView bytes);
// An output to memory that refuses to grow past `max_bytes` (0: unbounded).
Result<Output> MemoryOutput(size_t max_bytes = 0);
// The bytes written to a memory output so far (a view into RNP's buffer, valid until the output
// changes or dies).
ByteView OutputBytes(rnp_output_t output);
// Copies what a memory output holds into a zeroizing buffer and wipes RNP's copy.
crypto::SecretBytes TakeSecretOutput(rnp_output_t output);
// Wipes what a memory output holds (before it is destroyed), e.g. after a failed decryption.
void WipeOutput(rnp_output_t output);

// The string RNP returned, as std::string ("" for null).
std::string Str(const RnpString& s);

// Unix seconds for RNP's 32-bit time fields; times before 1970 become 0, after 2106 the maximum.
uint32_t ToRnpTime(TimePoint t);
TimePoint FromRnpTime(uint64_t seconds);

}  // namespace sealpost::pgp::internal
