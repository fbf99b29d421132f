#include "pgp/pgp_mime.h"

#include "core/encoding.h"
#include "crypto/random.h"

namespace sealpost::pgp {

namespace {

std::string WithCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      continue;  // re-added before every LF
    }
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

std::string PgpMimeEntity::ToEntity() const {
  std::string entity = "Content-Type: " + content_type + "\r\n\r\n";
  entity += body;
  return entity;
}

PgpMimeEntity WrapPgpMime(std::string_view armored) {
  // 144 random bits: no chance of meeting it in base64 armour by accident; "=_" cannot occur
  // in a base64 line at all (RFC 2045 section 5.1 suggests such a marker).
  const std::string boundary = "=_sealpost_" + HexEncode(crypto::RandomBytes(18));
  PgpMimeEntity entity;
  entity.content_type =
      "multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"" + boundary + "\"";
  std::string& b = entity.body;
  b += "This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n";
  b += "--" + boundary + "\r\n";
  b += "Content-Type: application/pgp-encrypted\r\n";
  b += "Content-Description: PGP/MIME version identification\r\n\r\n";
  b += "Version: 1\r\n\r\n";
  b += "--" + boundary + "\r\n";
  b += "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n";
  b += "Content-Description: OpenPGP encrypted message\r\n";
  b += "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n";
  b += WithCrlf(armored);
  b += "--" + boundary + "--\r\n";
  return entity;
}

}  // namespace sealpost::pgp
