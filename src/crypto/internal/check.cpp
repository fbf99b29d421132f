#include "crypto/internal/check.h"

#include <cstdio>
#include <cstdlib>

namespace sealpost::crypto::internal {

void Die(const char* what) {
  std::fprintf(stderr, "sealpost crypto: fatal: %s\n", what);
  std::abort();
}

}  // namespace sealpost::crypto::internal
