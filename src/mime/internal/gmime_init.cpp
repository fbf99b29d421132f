#include "mime/internal/gmime_init.h"

#include <gmime/gmime.h>

#include <mutex>

namespace sealpost::mime::internal {

void EnsureGMimeInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

}  // namespace sealpost::mime::internal
