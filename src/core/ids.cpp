#include "core/ids.h"

namespace sealpost {

bool IsWellFormedId(std::string_view s) {
  if (s.size() != kIdChars) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace sealpost
