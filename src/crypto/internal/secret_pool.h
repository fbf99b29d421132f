// Internal: pools of fixed-size slots in locked, guarded regions, for SecretBytes.
//
// sodium_malloc gives every allocation its own guarded, mlock'ed pages: several system calls
// and a cross-core TLB shutdown per allocation and per free, which dominated the send path.
// Most secrets are keys of 32-64 bytes; they come from the small slots. Encoded message summaries
// and seal statements (app/message_codec.h, about 1 KiB each, two per stored message) come from
// the larger ones: on the mail intake their sodium_malloc and sodium_free cost about 4% of the
// server's CPU. Each pool's region is one sodium_malloc allocation (locked, excluded from core
// dumps, guard pages around it); a freed slot is wiped before it is reused. Larger secrets, and
// any request once its pool is full, still use sodium_malloc, and so does everything in
// AddressSanitizer builds, where reused slots would hide use-after-free. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sealpost::crypto::internal {

inline constexpr size_t kSecretSlotBytes = 128;        // 8,192 slots: 1 MiB locked
inline constexpr size_t kLargeSecretSlotBytes = 4096;  // 256 slots: 1 MiB locked

// A zeroed slot of at least `n` bytes (n <= kLargeSecretSlotBytes), or nullptr when the pool of
// that size is exhausted.
uint8_t* AllocateSecretSlot(size_t n);
// Wipes `p` and returns it to its pool; false (and nothing done) when `p` is not a pool slot.
bool FreeSecretSlot(uint8_t* p);

}  // namespace sealpost::crypto::internal
