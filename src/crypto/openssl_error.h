// OpenSSL reports failures through a thread-local error queue; these turn it into text for logs.
// Used wherever OpenSSL is called (crypto/, the TLS set-up in http/ and delivery/).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sealpost::crypto {

// Empties the calling thread's OpenSSL error queue; "unknown error" when it was empty.
std::string DrainOpensslErrors();

// Internal("<what>: <drained errors>").
Status OpensslFailure(std::string_view what);

}  // namespace sealpost::crypto
