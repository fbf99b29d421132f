// Rng seam for non-key randomness (identifiers). Keys and nonces are drawn inside crypto/.
// Thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "core/encoding.h"
#include "core/ids.h"

namespace sealpost::platform {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
};

// The kernel's CSPRNG (getrandom(2)).
class SystemRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override;
};

template <typename IdT>
IdT NewId(Rng& rng) {
  uint8_t raw[kIdBytes];
  rng.Fill(raw);
  return IdT::FromTrusted(HexEncode(raw));
}

}  // namespace sealpost::platform
