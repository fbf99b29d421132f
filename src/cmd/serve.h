// `sealpost serve`: the composition root. Wires the concrete store, blob store, keys, mailer,
// use cases and HTTPS front end, prints where to go, and runs until SIGINT/SIGTERM.
#pragma once

#include "cmd/config.h"

namespace sealpost::cmd {

// Returns the process exit code.
int Serve(const Config& config);

}  // namespace sealpost::cmd
