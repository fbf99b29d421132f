// Internal: a pool of small fixed-size slots in one locked, guarded region, for SecretBytes.
//
// sodium_malloc gives every allocation its own guarded, mlock'ed pages: several system calls
// and a cross-core TLB shutdown per allocation and per free, which dominated the send path.
// Most secrets are keys of 32-64 bytes; they come from here instead. The region itself is one
// sodium_malloc allocation (locked, excluded from core dumps, guard pages around it); a freed
// slot is wiped before it is reused. Larger secrets, and any request once the pool is full,
// still use sodium_malloc, and so does everything in AddressSanitizer builds, where reused slots
// would hide use-after-free. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sealpost::crypto::internal {

inline constexpr size_t kSecretSlotBytes = 128;

// A zeroed slot of kSecretSlotBytes, or nullptr when the pool is exhausted.
uint8_t* AllocateSecretSlot();
// Wipes `p` and returns it to the pool; false (and nothing done) when `p` is not a pool slot.
bool FreeSecretSlot(uint8_t* p);

}  // namespace sealpost::crypto::internal
