#include "crypto/secret_bytes.h"

#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <new>
#include <utility>

#include "crypto/internal/check.h"
#include "crypto/internal/secret_pool.h"

namespace sealpost::crypto {

void EnsureInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    // 0: initialised now, 1: already initialised (by another library), -1: failure.
    if (sodium_init() < 0) internal::Die("sodium_init failed");
  });
}

namespace {

void Release(uint8_t* p) {
  if (p == nullptr) return;
  if (!internal::FreeSecretSlot(p)) sodium_free(p);  // sodium_free wipes before unmapping.
}

}  // namespace

SecretBytes::SecretBytes(size_t n) {
  EnsureInitialized();
  if (n == 0) return;
  if (n <= internal::kLargeSecretSlotBytes) {
    if (uint8_t* slot = internal::AllocateSecretSlot(n)) {  // already zeroed
      data_ = slot;
      size_ = n;
      return;
    }
  }
  void* p = sodium_malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  sodium_memzero(p, n);  // sodium_malloc fills with a canary pattern, not zeros.
  data_ = static_cast<uint8_t*>(p);
  size_ = n;
}

SecretBytes SecretBytes::CopyOf(ByteView bytes) {
  SecretBytes out(bytes.size());
  if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), out.data_);
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Release(data_); }

void Wipe(std::span<uint8_t> bytes) {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

void WipeString(std::string& text) {
  if (text.capacity() > 0) sodium_memzero(text.data(), text.capacity());
  text.clear();
}

Result<SecretBytes> Base64DecodeSecret(std::string_view text) {
  SP_ASSIGN_OR_RETURN(Bytes raw, Base64Decode(text));
  SecretBytes out = SecretBytes::CopyOf(raw);
  Wipe(raw);
  return out;
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  EnsureInitialized();
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sealpost::crypto
