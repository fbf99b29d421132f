// What an (Auth)EnvelopedData says about itself before it is decrypted: its content-encryption
// algorithm and, for AuthEnvelopedData, the length of its MAC (RFC 5652 section 6.1, RFC 5083
// section 2.1). OpenSSL has no getter for either, so the DER is walked here with OpenSSL's
// generic parser (d2i_ASN1_SEQUENCE_ANY); only the outer structure is read.
//
// SECURITY: sees untrusted mail (ReadSmime). Anything that is not the expected shape is
// InvalidArgument.
#pragma once

#include "core/encoding.h"
#include "core/status.h"

namespace sealpost::smime::internal {

struct EnvelopeShape {
  int content_type_nid = 0;  // NID_pkcs7_enveloped or NID_id_smime_ct_authEnvelopedData
  int cipher_nid = 0;        // the content-encryption algorithm
  int mac_bytes = -1;        // AuthEnvelopedData's mac length; -1 for EnvelopedData
};

Result<EnvelopeShape> InspectEnvelope(ByteView content_info_der);

}  // namespace sealpost::smime::internal
