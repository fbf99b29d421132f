#include "smime/internal/pkcs7_mime.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace sealpost::smime::internal {
namespace {

constexpr size_t kBase64LineChars = 76;  // RFC 2045 section 6.8
constexpr size_t kBase64LineBytes = 57;  // what one line encodes

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value of parameter `name` in a lower-cased header value (quotes removed).
std::string Parameter(std::string_view value, std::string_view name) {
  size_t pos = 0;
  while ((pos = value.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = Trim(value.substr(pos));
    if (rest.substr(0, name.size()) != name) continue;
    rest = Trim(rest.substr(name.size()));
    if (rest.empty() || rest.front() != '=') continue;
    rest = Trim(rest.substr(1));
    if (!rest.empty() && rest.front() == '"') {
      rest.remove_prefix(1);
      return std::string(rest.substr(0, rest.find('"')));
    }
    return std::string(Trim(rest.substr(0, rest.find(';'))));
  }
  return {};
}

}  // namespace

Bytes WrapPkcs7Mime(std::string_view smime_type, ByteView der) {
  const std::string header = fmt::format(
      "Content-Type: application/pkcs7-mime; smime-type={}; name=\"smime.p7m\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
      "\r\n",
      smime_type);
  // Base64 by OpenSSL's EVP_EncodeBlock, one line of 76 characters per 57 input bytes; the
  // output is sized once (this runs on every message, over the whole ciphertext, twice).
  const size_t lines = (der.size() + kBase64LineBytes - 1) / kBase64LineBytes;
  Bytes out(header.size() + lines * (kBase64LineChars + 2));
  std::copy(header.begin(), header.end(), out.begin());
  size_t at = header.size();
  for (size_t i = 0; i < der.size(); i += kBase64LineBytes) {
    const size_t n = std::min(kBase64LineBytes, der.size() - i);
    at +=
        static_cast<size_t>(EVP_EncodeBlock(out.data() + at, der.data() + i, static_cast<int>(n)));
    out[at++] = '\r';
    out[at++] = '\n';
  }
  out.resize(at);
  return out;
}

Result<Pkcs7MimePart> UnwrapPkcs7Mime(ByteView part) {
  const std::string_view text = AsChars(part);
  size_t body_start = std::string_view::npos;
  size_t header_end = text.find("\r\n\r\n");
  if (header_end != std::string_view::npos) {
    body_start = header_end + 4;
  } else if ((header_end = text.find("\n\n")) != std::string_view::npos) {
    body_start = header_end + 2;
  } else {
    return InvalidArgument("no blank line after the MIME headers");
  }
  // Unfolded header fields, names and values lower-cased.
  std::string content_type;
  std::string encoding;
  std::string field;
  auto finish = [&] {
    const size_t colon = field.find(':');
    if (colon == std::string::npos) return;
    const std::string name = Lower(Trim(field.substr(0, colon)));
    const std::string value = Lower(Trim(std::string_view(field).substr(colon + 1)));
    if (name == "content-type") content_type = value;
    if (name == "content-transfer-encoding") encoding = value;
  };
  const std::string_view headers = text.substr(0, header_end);
  size_t pos = 0;
  while (pos <= headers.size()) {
    size_t eol = headers.find('\n', pos);
    if (eol == std::string_view::npos) eol = headers.size();
    const std::string_view line = headers.substr(pos, eol - pos);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      field += ' ';
      field += Trim(line);
    } else {
      finish();
      field = std::string(Trim(line));
    }
    pos = eol + 1;
  }
  finish();
  const std::string_view type = std::string_view(content_type).substr(0, content_type.find(';'));
  if (Trim(type) != "application/pkcs7-mime" && Trim(type) != "application/x-pkcs7-mime") {
    return InvalidArgument(fmt::format("Content-Type is not application/pkcs7-mime"));
  }
  if (encoding != "base64") return InvalidArgument("Content-Transfer-Encoding is not base64");
  std::string b64;
  b64.reserve(text.size() - body_start);
  for (const char c : text.substr(body_start)) {
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') b64 += c;
  }
  auto der = Base64Decode(b64);
  if (!der.ok()) return InvalidArgument("the base64 body does not decode");
  return Pkcs7MimePart{Parameter(content_type, "smime-type"), std::move(*der)};
}

}  // namespace sealpost::smime::internal
