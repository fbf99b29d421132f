// How the delivery policy tables keep a list in one text column: items joined by a separator they
// never contain (hex pins and ready pattern names by ',', gateway regexes by a line feed: app/
// refuses control characters in them). Empty items are not kept.
#pragma once

#include <string>
#include <vector>

namespace sealpost::store::internal {

inline std::string JoinPins(const std::vector<std::string>& pins, char separator = ',') {
  std::string out;
  for (const std::string& p : pins) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

inline std::vector<std::string> SplitPins(const std::string& text, char separator = ',') {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace sealpost::store::internal
