// PGP/MIME (RFC 3156 section 4): the multipart/encrypted entity that carries an armoured
// OpenPGP message in mail.
//
// Built by hand: there is no mime/ module yet, and the entity is two fixed parts around the
// armoured text (which is 7-bit and cannot contain the boundary, a random token). When mime/
// lands, this can move onto it.
//
// Pure apart from drawing the boundary (crypto/random.h). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sealpost::pgp {

struct PgpMimeEntity {
  // The value of the outer Content-Type header field, e.g.
  // multipart/encrypted; protocol="application/pgp-encrypted"; boundary="..."
  std::string content_type;
  // The multipart body: the version part and the application/octet-stream part, CRLF line ends.
  std::string body;
  // "Content-Type: ...\r\n\r\n" + body: the entity as a whole (e.g. a message's top level).
  std::string ToEntity() const;
};

// Wraps an armoured OpenPGP message (EncryptAndSign's output) in RFC 3156's structure. Line
// ends of `armored` are normalised to CRLF.
PgpMimeEntity WrapPgpMime(std::string_view armored);

}  // namespace sealpost::pgp
