#include "keys/secret_file.h"

#include <algorithm>

namespace sealpost::keys {

Result<crypto::SecretString> ReadSecretFile(platform::Filesystem& fs, const std::string& path,
                                            size_t max_size) {
  SP_ASSIGN_OR_RETURN(auto file, fs.OpenReadable(path));
  // Grows by doubling, each step into fresh guarded memory (the old buffer is wiped on free).
  crypto::SecretBytes buffer(std::min<size_t>(max_size + 1, 8 * 1024));
  size_t used = 0;
  for (;;) {
    if (used == buffer.size()) {
      if (used > max_size) return TooLarge("file too large: " + path);
      crypto::SecretBytes bigger(std::min(max_size + 1, buffer.size() * 2));
      std::copy_n(buffer.data(), used, bigger.data());
      buffer = std::move(bigger);
    }
    SP_ASSIGN_OR_RETURN(const size_t n, file->Read(buffer.span().subspan(used)));
    if (n == 0) break;
    used += n;
  }
  if (used > max_size) return TooLarge("file too large: " + path);
  return crypto::SecretString(crypto::SecretBytes::CopyOf(buffer.view().first(used)));
}

}  // namespace sealpost::keys
