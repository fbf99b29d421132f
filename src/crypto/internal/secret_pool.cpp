#include "crypto/internal/secret_pool.h"

#include <sodium.h>

#include <mutex>
#include <vector>

#include "crypto/internal/check.h"

namespace sealpost::crypto::internal {
namespace {

constexpr size_t kSlots = 8192;  // 1 MiB of locked memory

class SecretPool {
 public:
  SecretPool() {
    region_ = static_cast<uint8_t*>(sodium_malloc(kSlots * kSecretSlotBytes));
    if (region_ == nullptr) return;  // every allocation falls back to sodium_malloc
    sodium_memzero(region_, kSlots * kSecretSlotBytes);
    free_.reserve(kSlots);
    for (size_t i = kSlots; i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
  }

  uint8_t* Allocate() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return nullptr;
    const uint32_t slot = free_.back();
    free_.pop_back();
    return region_ + size_t{slot} * kSecretSlotBytes;
  }

  bool Free(uint8_t* p) {
    if (region_ == nullptr || p < region_ || p >= region_ + kSlots * kSecretSlotBytes) return false;
    const size_t offset = static_cast<size_t>(p - region_);
    if (offset % kSecretSlotBytes != 0) Die("secret pool: pointer inside a slot");
    sodium_memzero(p, kSecretSlotBytes);
    std::lock_guard lock(mu_);
    free_.push_back(static_cast<uint32_t>(offset / kSecretSlotBytes));
    return true;
  }

 private:
  uint8_t* region_ = nullptr;  // never freed: SecretBytes may outlive static destruction
  std::mutex mu_;
  std::vector<uint32_t> free_;
};

SecretPool& Pool() {
  static SecretPool* pool = new SecretPool();  // leaked on purpose, see region_
  return *pool;
}

}  // namespace

uint8_t* AllocateSecretSlot() {
#if defined(__SANITIZE_ADDRESS__)
  return nullptr;  // sanitizer builds keep one allocation per secret, so misuse stays visible
#else
  return Pool().Allocate();
#endif
}
bool FreeSecretSlot(uint8_t* p) { return Pool().Free(p); }

}  // namespace sealpost::crypto::internal
