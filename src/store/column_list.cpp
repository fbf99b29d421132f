#include "store/column_list.h"

#include <algorithm>

namespace sealpost::store {

std::string QualifiedColumns(std::string_view columns, std::string_view table) {
  std::string out;
  for (size_t at = 0; at < columns.size();) {
    const size_t comma = std::min(columns.find(',', at), columns.size());
    std::string_view name = columns.substr(at, comma - at);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out.append(table).append(".").append(name);
    at = comma + 1;
  }
  return out;
}

}  // namespace sealpost::store
