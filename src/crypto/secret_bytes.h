// SecretBytes: the one container for key material and decrypted plaintext (docs/architecture.md).
//
// Memory comes from sodium_malloc: it is mlock'ed where the OS allows, surrounded by guard pages,
// and wiped by sodium_free when the object goes away. Each non-empty buffer costs a few pages of
// address space, so keep them for secrets, not for bulk data. Size 0 allocates nothing.
//
// Thread-safety: a SecretBytes is a plain value; concurrent const access is safe, mutation needs
// external synchronisation. Move-only (a copy of a secret must be spelled out with CopyOf).
//
// Every public entry point of crypto/ initialises libsodium itself (EnsureInitialized), so callers
// never need to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::crypto {

// Initialises libsodium exactly once (std::call_once); safe to call from any thread, any number of
// times. Aborts the process if libsodium cannot initialise (no safe way to continue).
void EnsureInitialized();

class SecretBytes final {
 public:
  // A zero-filled buffer of `n` bytes. Throws std::bad_alloc if the memory cannot be mapped.
  explicit SecretBytes(size_t n);
  static SecretBytes CopyOf(ByteView bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();  // Wipes and frees. A moved-from object is empty.

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_, size_}; }
  std::span<uint8_t> span() { return {data_, size_}; }
  // For decrypted text content. The view dies with this object; don't copy it into a std::string
  // unless the text is no longer secret.
  std::string_view AsStringView() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Compares in time that depends only on the sizes (sodium_memcmp). False if the sizes differ.
bool ConstantTimeEquals(ByteView a, ByteView b);

// Overwrites memory with zeros in a way the compiler cannot drop (sodium_memzero). For the
// transient copies of a secret that had to live outside SecretBytes for a moment (a parser's
// std::string, a decoder's vector). WipeString clears the whole capacity, then the string.
void Wipe(std::span<uint8_t> bytes);
void WipeString(std::string& text);

// Standard base64 with padding (as core/encoding.h's Base64Decode) decoded into zeroizing memory;
// the decoder's transient buffer is wiped. InvalidArgument when malformed.
Result<SecretBytes> Base64DecodeSecret(std::string_view text);

}  // namespace sealpost::crypto
