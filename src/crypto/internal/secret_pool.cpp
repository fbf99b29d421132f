#include "crypto/internal/secret_pool.h"

#include <sodium.h>

#include <mutex>
#include <vector>

#include "crypto/internal/check.h"

namespace sealpost::crypto::internal {
namespace {

class SecretPool {
 public:
  SecretPool(size_t slot_bytes, size_t slots) : slot_bytes_(slot_bytes), slots_(slots) {
    region_ = static_cast<uint8_t*>(sodium_malloc(slots_ * slot_bytes_));
    if (region_ == nullptr) return;  // every allocation falls back to sodium_malloc
    sodium_memzero(region_, slots_ * slot_bytes_);
    free_.reserve(slots_);
    for (size_t i = slots_; i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
  }

  uint8_t* Allocate() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return nullptr;
    const uint32_t slot = free_.back();
    free_.pop_back();
    return region_ + size_t{slot} * slot_bytes_;
  }

  bool Free(uint8_t* p) {
    if (region_ == nullptr || p < region_ || p >= region_ + slots_ * slot_bytes_) return false;
    const size_t offset = static_cast<size_t>(p - region_);
    if (offset % slot_bytes_ != 0) Die("secret pool: pointer inside a slot");
    sodium_memzero(p, slot_bytes_);
    std::lock_guard lock(mu_);
    free_.push_back(static_cast<uint32_t>(offset / slot_bytes_));
    return true;
  }

 private:
  const size_t slot_bytes_;
  const size_t slots_;
  uint8_t* region_ = nullptr;  // never freed: SecretBytes may outlive static destruction
  std::mutex mu_;
  std::vector<uint32_t> free_;
};

// Leaked on purpose, see region_.
SecretPool& SmallPool() {
  static SecretPool* pool = new SecretPool(kSecretSlotBytes, 8192);
  return *pool;
}
SecretPool& LargePool() {
  static SecretPool* pool = new SecretPool(kLargeSecretSlotBytes, 256);
  return *pool;
}

}  // namespace

uint8_t* AllocateSecretSlot(size_t n) {
#if defined(__SANITIZE_ADDRESS__)
  (void)n;
  return nullptr;  // sanitizer builds keep one allocation per secret, so misuse stays visible
#else
  if (n <= kSecretSlotBytes) return SmallPool().Allocate();
  if (n <= kLargeSecretSlotBytes) return LargePool().Allocate();
  return nullptr;
#endif
}
bool FreeSecretSlot(uint8_t* p) { return SmallPool().Free(p) || LargePool().Free(p); }

}  // namespace sealpost::crypto::internal
