// Security-relevant writes fail closed.
//
// Recording a failed guess against its limit, or an integrity failure in the audit log, is part
// of the answer: when that write fails, the request fails too, as temporarily unavailable (503),
// rather than passing unlimited or unlogged. The store's own text stays in the log message.
#pragma once

#include "core/status.h"

namespace sealpost::app {

inline Status FailClosed(Status write) {
  if (write.ok()) return write;
  return Unavailable("a security record could not be written: " + write.ToString());
}

}  // namespace sealpost::app
