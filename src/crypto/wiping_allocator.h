// WipingAllocator: an ordinary heap allocator that wipes every block before giving it back.
//
// For containers that hold data which may contain secrets before anyone knows which part is
// secret: a request body with a password in it, the strings a JSON parser builds from that body.
// SecretBytes is for known secrets (guarded, locked pages, a few pages each); this is for bulk
// buffers of unknown content, where locking every allocation would cost too much. A freed block
// no longer holds what was in it; what it cannot reach is a string short enough to live inside its
// own object (the small-string buffer) when that object is on the stack.
//
// Thread-safe as std::allocator: stateless.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

template <typename T>
struct WipingAllocator {
  using value_type = T;

  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept {
    Wipe(std::span(reinterpret_cast<uint8_t*>(p), n * sizeof(T)));
    std::allocator<T>().deallocate(p, n);
  }

  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

// Text whose buffer is wiped whenever it is freed or reallocated.
using WipedString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

}  // namespace sealpost::crypto
