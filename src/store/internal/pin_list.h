// How the TLS partner table keeps its pins in one text column: hex pins joined by ','. The pins
// are validated hex before they reach the store, so they never contain the separator.
#pragma once

#include <string>
#include <vector>

namespace sealpost::store::internal {

inline std::string JoinPins(const std::vector<std::string>& pins) {
  std::string out;
  for (const std::string& p : pins) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}

inline std::vector<std::string> SplitPins(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace sealpost::store::internal
