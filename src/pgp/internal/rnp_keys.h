// Small typed accessors over RNP key handles, so the callers read as steps instead of
// out-parameter plumbing. Every function reports RNP failures as Status (rnp_handles.h).
//
// Thread-safety: as the ffi the handles belong to (one thread at a time).
#pragma once

#include <rnp/rnp.h>

#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/secret_bytes.h"
#include "pgp/internal/rnp_handles.h"

namespace sealpost::pgp::internal {

// Imports binary or armoured keys (RNP_LOAD_SAVE_* flags) into `ffi`.
Status ImportKeys(rnp_ffi_t ffi, ByteView bytes, uint32_t flags);
// Imports a member's secret key: the input reads the zeroizing buffer in place (no copy).
Status ImportSecretKey(rnp_ffi_t ffi, const crypto::SecretBytes& secret_key);

// Handles to every primary key in `ffi` (by fingerprint iteration).
Result<std::vector<Key>> PrimaryKeys(rnp_ffi_t ffi);
// The key with this fingerprint; NotFound when absent.
Result<Key> KeyByFingerprint(rnp_ffi_t ffi, const std::string& fingerprint);
Result<std::vector<Key>> Subkeys(rnp_key_handle_t primary);

Result<std::string> Fingerprint(rnp_key_handle_t key);
Result<std::string> Algorithm(rnp_key_handle_t key);  // "RSA", "EDDSA", "ECDH", "DSA", ...
Result<std::string> Curve(rnp_key_handle_t key);      // "" for non-ECC keys
Result<uint32_t> Bits(rnp_key_handle_t key);
Result<uint32_t> CreationTime(rnp_key_handle_t key);
Result<uint32_t> ExpirationSeconds(rnp_key_handle_t key);  // 0: never expires
Result<bool> Flag(rnp_result_t (*getter)(rnp_key_handle_t, bool*), rnp_key_handle_t key,
                  std::string_view what);
Result<bool> AllowsUsage(rnp_key_handle_t key, const char* usage);

// Exports a primary key with its subkeys (RNP_KEY_EXPORT_PUBLIC, binary or armoured).
Result<Bytes> ExportPublic(rnp_key_handle_t primary, bool armored);
// Exports the secret key with its subkeys into zeroizing memory (RNP's copy is wiped).
Result<crypto::SecretBytes> ExportSecret(rnp_key_handle_t primary);

}  // namespace sealpost::pgp::internal
