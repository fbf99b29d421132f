// Checks on untrusted text: UTF-8 well-formedness and control characters.
#pragma once

#include <string_view>

namespace sealpost {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);

// True when `s` contains a C0 control (except TAB, CR, LF if `allow_line_breaks`) or DEL.
bool HasControlCharacters(std::string_view s, bool allow_line_breaks);

}  // namespace sealpost
