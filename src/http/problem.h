// RFC 9457 problem details: every error answer of the HTTP layer, and the mapping from Status.
//
// A problem is `application/problem+json` with
//   {"type":"https://sealpost.dev/problems/<slug>","title":...,"status":...,"detail":...}
// ("detail" omitted when empty). Slugs used by http/ itself: malformed-request, not-found,
// method-not-allowed, payload-too-large, header-too-large, unsupported-media-type,
// invalid-argument, unauthenticated, forbidden, conflict, unavailable, too-many-transfers,
// integrity-failure, internal.
//
// SECURITY: `detail` reaches the client. ProblemFromStatus() therefore passes a Status message
// through only for 4xx answers; for 5xx it logs the message and sends a generic title.
// Thread-safe (pure, apart from that log line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "http/response.h"

namespace sealpost::http {

inline constexpr std::string_view kProblemTypeBase = "https://sealpost.dev/problems/";

Response Problem(int status, std::string_view type_slug, std::string_view title,
                 std::string_view detail = {});

// kInvalidArgument→400 invalid-argument, kUnauthenticated→401 unauthenticated,
// kPermissionDenied→403 forbidden, kNotFound→404 not-found, kConflict→409 conflict,
// kResourceExhausted→413 payload-too-large, kUnavailable→503 unavailable,
// kCorruption→500 integrity-failure, kInternal (and anything else)→500 internal.
Response ProblemFromStatus(const Status& status);

// 413 payload-too-large whose detail names the limit in bytes.
Response PayloadTooLarge(uint64_t limit_bytes);
// 404 not-found for an unknown route.
Response NotFoundProblem();
// 405 method-not-allowed with an Allow header, e.g. allow = "GET, HEAD".
Response MethodNotAllowedProblem(std::string_view allow);
// 503 too-many-transfers with Retry-After: `limit` uploads and downloads are streaming already.
Response TooManyTransfers(size_t limit);
// 400 malformed-request; `detail` is a fixed text chosen by the caller.
Response MalformedRequest(std::string_view detail = {});

}  // namespace sealpost::http
