// RFC 9457 problem details: every error answer of the HTTP layer, and the mapping from Status.
//
// A problem is `application/problem+json` with
//   {"type":"https://sealpost.dev/problems/<slug>","title":...,"status":...,"detail":...}
// Slug, title and the default detail come from the catalogue in core/reason.h: a Status's reason,
// or its code when it has none. The HTTP status of each is chosen here (HttpStatusOf). A rate
// limit's Retry-After travels in the Status and becomes the header.
//
// SECURITY: `detail` reaches the client, so a Status message (written for the log) is sent only
// where its maker marked it as written for the client (Status::ShownToClient); otherwise the
// catalogue's generic text is. 5xx answers log the Status. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "http/response.h"

namespace sealpost::http {

inline constexpr std::string_view kProblemTypeBase = "https://sealpost.dev/problems/";

// The HTTP status for a code and reason (the reason's when it has its own, else the code's).
int HttpStatusOf(ErrorCode code, Reason reason);

// The answer for a failed Status.
Response ProblemFromStatus(const Status& status);
// The same with extension members (RFC 9457 §3.2), e.g. {"remaining_tries": 3}: an object whose
// keys are none of type, title, status and detail.
Response ProblemFromStatus(const Status& status, const nlohmann::json& members);
// The answer for a reason; `detail` replaces the catalogue's text (it must be written for the
// client).
Response ProblemFor(Reason reason, std::string_view detail = {});

// 413 payload-too-large whose detail names the limit in bytes.
Response PayloadTooLarge(uint64_t limit_bytes);
// 404 unknown-route: no route matches the path.
Response NotFoundProblem();
// 405 method-not-allowed with an Allow header, e.g. allow = "GET, HEAD".
Response MethodNotAllowedProblem(std::string_view allow);
// 503 too-many-transfers with Retry-After: `limit` uploads and downloads are streaming already.
Response TooManyTransfers(size_t limit);
// 400 malformed-request; `detail` is a fixed text chosen by the caller.
Response MalformedRequest(std::string_view detail = {});

}  // namespace sealpost::http
