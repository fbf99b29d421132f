// RFC 2047 encoded-word helpers that work around two behaviours of GMime 3.2 (tested in
// encoded_words_test.cpp and message_parser_test.cpp):
//
// - Reading: GMime joins adjacent B-encoded words of one charset before base64-decoding them, so
//   the text after a padded word ("…w6Q=?= =?UTF-8?B?IMOk…") is lost. Outlook and GMime itself
//   write such words. NormalizeEncodedWords rewrites every B word as the equivalent Q word (the
//   bytes decoded with GLib's base64), which GMime joins correctly.
// - Writing: GMime copies ASCII text as it is, so a subject or display name that happens to
//   contain "=?…?=" would be decoded by every reader into something else. EncodeIfAmbiguous
//   encodes such text (and only such text) as UTF-8 B words itself.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sealpost::mime::internal {

std::string NormalizeEncodedWords(std::string_view header_value);

// `utf8` unchanged unless it contains "=?"; then the whole text as encoded words.
std::string EncodeIfAmbiguous(std::string_view utf8);

}  // namespace sealpost::mime::internal
