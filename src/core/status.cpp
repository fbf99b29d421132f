#include "core/status.h"

namespace sealpost {

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(ErrorCodeName(code_));
  if (!message_.empty()) s += ": " + message_;
  return s;
}

}  // namespace sealpost
