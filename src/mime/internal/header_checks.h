// Checks on the text that goes into a header field of a message Sealpost builds. They are what
// makes header injection impossible: nothing given to the builder can end a header line or
// start a new one, because any CR, LF, NUL or other control character is refused, not cleaned.
//
// Pure; thread-safe.
#pragma once

#include <string_view>

#include "core/status.h"

namespace sealpost::mime::internal {

// Longest text accepted for one header field (subject, display name, filename): RFC 5322
// §2.1.1 limits a line to 998 octets; encoded and folded, 4,000 octets of text stay well-formed.
inline constexpr size_t kMaxHeaderText = 4000;

// UTF-8 text for an unstructured header or a display name: valid UTF-8, no control character
// (TAB, CR and LF included), at most kMaxHeaderText octets. `what` names the field in the error.
Status CheckHeaderText(std::string_view what, std::string_view text);

// A msg-id without its angle brackets (RFC 5322 §3.6.4, dot-atom-text "@" dot-atom-text or
// no-fold-literal): printable ASCII, exactly one "@", no space, no "<", ">", '"', "(", ")", ",".
Status CheckMessageId(std::string_view what, std::string_view id);

// "type/subtype": two RFC 2045 tokens, nothing else (no parameters).
Status CheckMediaType(std::string_view media_type);

}  // namespace sealpost::mime::internal
