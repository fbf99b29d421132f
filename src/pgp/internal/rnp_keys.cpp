#include "pgp/internal/rnp_keys.h"

#include <cstring>

namespace sealpost::pgp::internal {

Status ImportKeys(rnp_ffi_t ffi, ByteView bytes, uint32_t flags) {
  SP_ASSIGN_OR_RETURN(Input input, InputOver(bytes));
  char* results = nullptr;
  const rnp_result_t rc = rnp_import_keys(ffi, input.get(), flags, &results);
  rnp_buffer_destroy(results);
  return FromRnp(rc, "import keys");
}

Status ImportSecretKey(rnp_ffi_t ffi, const crypto::SecretBytes& secret_key) {
  return ImportKeys(ffi, secret_key.view(), RNP_LOAD_SAVE_SECRET_KEYS);
}

Result<std::vector<Key>> PrimaryKeys(rnp_ffi_t ffi) {
  rnp_identifier_iterator_t raw = nullptr;
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_identifier_iterator_create(ffi, &raw, "fingerprint"), "key iterator"));
  Iterator it(raw);
  std::vector<Key> primaries;
  for (;;) {
    const char* fp = nullptr;
    SP_RETURN_IF_ERROR(FromRnp(rnp_identifier_iterator_next(it.get(), &fp), "key iterator"));
    if (fp == nullptr) break;
    SP_ASSIGN_OR_RETURN(Key key, KeyByFingerprint(ffi, fp));
    SP_ASSIGN_OR_RETURN(const bool primary, Flag(rnp_key_is_primary, key.get(), "is primary"));
    if (primary) primaries.push_back(std::move(key));
  }
  return primaries;
}

Result<Key> KeyByFingerprint(rnp_ffi_t ffi, const std::string& fingerprint) {
  rnp_key_handle_t raw = nullptr;
  SP_RETURN_IF_ERROR(
      FromRnp(rnp_locate_key(ffi, "fingerprint", fingerprint.c_str(), &raw), "locate key"));
  if (raw == nullptr) return NotFound("no key with fingerprint " + fingerprint);
  return Key(raw);
}

Result<std::vector<Key>> Subkeys(rnp_key_handle_t primary) {
  size_t count = 0;
  SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_subkey_count(primary, &count), "subkey count"));
  std::vector<Key> subkeys;
  subkeys.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    rnp_key_handle_t raw = nullptr;
    SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_subkey_at(primary, i, &raw), "subkey"));
    subkeys.emplace_back(raw);
  }
  return subkeys;
}

namespace {

Result<std::string> StringOf(rnp_result_t (*getter)(rnp_key_handle_t, char**), rnp_key_handle_t key,
                             std::string_view what) {
  char* raw = nullptr;
  const rnp_result_t rc = getter(key, &raw);
  RnpString s(raw);
  SP_RETURN_IF_ERROR(FromRnp(rc, what));
  return Str(s);
}

Result<uint32_t> NumberOf(rnp_result_t (*getter)(rnp_key_handle_t, uint32_t*), rnp_key_handle_t key,
                          std::string_view what) {
  uint32_t value = 0;
  SP_RETURN_IF_ERROR(FromRnp(getter(key, &value), what));
  return value;
}

}  // namespace

Result<std::string> Fingerprint(rnp_key_handle_t key) {
  return StringOf(rnp_key_get_fprint, key, "fingerprint");
}
Result<std::string> Algorithm(rnp_key_handle_t key) {
  return StringOf(rnp_key_get_alg, key, "algorithm");
}
Result<std::string> Curve(rnp_key_handle_t key) {
  char* raw = nullptr;
  const rnp_result_t rc = rnp_key_get_curve(key, &raw);
  RnpString s(raw);
  if (rc != RNP_SUCCESS) return std::string();  // not an ECC key
  return Str(s);
}
Result<uint32_t> Bits(rnp_key_handle_t key) { return NumberOf(rnp_key_get_bits, key, "bits"); }
Result<uint32_t> CreationTime(rnp_key_handle_t key) {
  return NumberOf(rnp_key_get_creation, key, "creation");
}
Result<uint32_t> ExpirationSeconds(rnp_key_handle_t key) {
  return NumberOf(rnp_key_get_expiration, key, "expiration");
}

Result<bool> Flag(rnp_result_t (*getter)(rnp_key_handle_t, bool*), rnp_key_handle_t key,
                  std::string_view what) {
  bool value = false;
  SP_RETURN_IF_ERROR(FromRnp(getter(key, &value), what));
  return value;
}

Result<bool> AllowsUsage(rnp_key_handle_t key, const char* usage) {
  bool value = false;
  SP_RETURN_IF_ERROR(FromRnp(rnp_key_allows_usage(key, usage, &value), "usage"));
  return value;
}

Result<Bytes> ExportPublic(rnp_key_handle_t primary, bool armored) {
  SP_ASSIGN_OR_RETURN(Output out, MemoryOutput());
  const uint32_t flags =
      RNP_KEY_EXPORT_PUBLIC | RNP_KEY_EXPORT_SUBKEYS | (armored ? RNP_KEY_EXPORT_ARMORED : 0U);
  SP_RETURN_IF_ERROR(FromRnp(rnp_key_export(primary, out.get(), flags), "export public key"));
  const ByteView bytes = OutputBytes(out.get());
  return Bytes(bytes.begin(), bytes.end());
}

Result<crypto::SecretBytes> ExportSecret(rnp_key_handle_t primary) {
  SP_ASSIGN_OR_RETURN(Output out, MemoryOutput());
  const Status exported =
      FromRnp(rnp_key_export(primary, out.get(), RNP_KEY_EXPORT_SECRET | RNP_KEY_EXPORT_SUBKEYS),
              "export secret key");
  if (!exported.ok()) {
    WipeOutput(out.get());
    return exported;
  }
  return TakeSecretOutput(out.get());
}

}  // namespace sealpost::pgp::internal
