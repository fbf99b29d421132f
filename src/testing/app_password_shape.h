// The shape an app password is shown in: eight groups of four lower-case base32 characters joined
// by dashes. Checked by hand, not with <regex>: GCC 12's <regex> trips -Wmaybe-uninitialized in
// the ASan build (-O2 -fsanitize=address), which -Werror turns into a failed build.
#pragma once

#include <string_view>

namespace sealpost::testutil {

inline bool IsShownAppPassword(std::string_view shown) {
  constexpr std::size_t kGroups = 8, kGroupLength = 4;
  if (shown.size() != kGroups * kGroupLength + kGroups - 1) return false;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const char c = shown[i];
    const bool dash_place = i % (kGroupLength + 1) == kGroupLength;
    const bool base32 = (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
    if (dash_place ? c != '-' : !base32) return false;
  }
  return true;
}

}  // namespace sealpost::testutil
