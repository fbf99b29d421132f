// The application/pkcs7-mime wrapper around a DER CMS structure (RFC 8551 section 3.2): three
// header lines, a blank line and base64 in lines of 76 characters, all with CRLF line ends.
// Written by hand because the wrapper is three fixed lines; OpenSSL's SMIME_write_CMS adds a
// MIME-Version line and picks its own line ends.
//
// SECURITY: UnwrapPkcs7Mime sees untrusted mail (the reader). It accepts only a header block
// whose Content-Type is application/pkcs7-mime (or x-pkcs7-mime) with base64 transfer encoding,
// and refuses base64 that does not decode.
#pragma once

#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::smime::internal {

// `smime_type` e.g. "signed-data"; `der` the CMS ContentInfo.
Bytes WrapPkcs7Mime(std::string_view smime_type, ByteView der);

struct Pkcs7MimePart {
  std::string smime_type;  // lower-cased value of the smime-type parameter ("" when absent)
  Bytes der;
};

// InvalidArgument when `part` is not such a MIME part.
Result<Pkcs7MimePart> UnwrapPkcs7Mime(ByteView part);

}  // namespace sealpost::smime::internal
