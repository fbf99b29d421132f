#include "platform/rng.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace sealpost::platform {

void SystemRng::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // No entropy means no safe identifiers: stopping is the only safe answer.
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace sealpost::platform
