// SMTP reply formatting (RFC 5321 4.2, RFC 3463 enhanced status codes, RFC 2034). Pure.
//
// SECURITY: reply texts may carry what a face or a client supplied (an address, a reason). Every
// byte outside printable ASCII (CR, LF, NUL, other controls, 8-bit) becomes a space or '?', so a
// text can never end a reply early or inject one; lines are cut at kMaxReplyTextBytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/face.h"

namespace sealpost::smtp::proto {

// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its code and CRLF.
inline constexpr size_t kMaxReplyTextBytes = 480;

// Printable ASCII only: controls (CR, LF, TAB…) become a space, 8-bit bytes '?'; cut at
// kMaxReplyTextBytes.
std::string SanitizeReplyText(std::string_view text);

// The enhanced status code to send with `code`: `enhanced` when it is well formed
// (class.subject.detail, 1-3 digits each) and its class matches the code's first digit, else the
// class default ("2.0.0", "4.0.0", "5.0.0"); empty for codes outside 2xx/4xx/5xx (220, 354 and
// 334 are 2xx/3xx without one by RFC 2034: 3xx gets none).
std::string EnhancedFor(int code, std::string_view enhanced);

// "250 2.0.0 text\r\n". A code outside 200-599 becomes 451 4.3.0 (a face bug must not produce a
// malformed reply).
std::string FormatReply(const Reply& reply);

// A multi-line reply: "250-first\r\n250-...\r\n250 last\r\n", each line with the enhanced code
// when one is given (EHLO's lines carry none, RFC 2034 3). An empty `lines` sends one empty text.
std::string FormatMultiline(int code, std::string_view enhanced,
                            const std::vector<std::string>& lines);

}  // namespace sealpost::smtp::proto
