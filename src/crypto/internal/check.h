// Internal: stopping on broken invariants inside crypto/.
//
// Used only where a libsodium/OpenSSL call cannot fail for validated inputs (or where a caller
// broke a documented precondition) and continuing could leak or corrupt data. Never used for
// untrusted input: that gets a Status.
#pragma once

namespace sealpost::crypto::internal {

// Writes `what` to stderr and aborts. Never returns.
[[noreturn]] void Die(const char* what);

}  // namespace sealpost::crypto::internal
