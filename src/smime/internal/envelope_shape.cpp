#include "smime/internal/envelope_shape.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

namespace sealpost::smime::internal {
namespace {

struct SequenceFree {
  void operator()(ASN1_SEQUENCE_ANY* p) const { sk_ASN1_TYPE_pop_free(p, ASN1_TYPE_free); }
};
using SequencePtr = std::unique_ptr<ASN1_SEQUENCE_ANY, SequenceFree>;
struct AlgorFree {
  void operator()(X509_ALGOR* p) const { X509_ALGOR_free(p); }
};

Status Malformed() {
  ERR_clear_error();
  return InvalidArgument("the enveloped data is malformed");
}

// The elements of one DER SEQUENCE occupying all of `der`.
Result<SequencePtr> Elements(ByteView der) {
  const unsigned char* p = der.data();
  SequencePtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(der.size())));
  if (!seq || p != der.data() + der.size()) return Malformed();
  return seq;
}

ByteView View(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s))};
}

// The contents of an explicitly tagged element (its whole encoding in `tlv`).
Result<ByteView> ExplicitContents(ByteView tlv) {
  const unsigned char* p = tlv.data();
  long len = 0;  // NOLINT(runtime/int): OpenSSL's type
  int tag = 0;
  int cls = 0;
  const int ret = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(tlv.size()));
  if ((ret & 0x80) != 0 || (ret & V_ASN1_CONSTRUCTED) == 0 || cls != V_ASN1_CONTEXT_SPECIFIC ||
      tag != 0 || p + len != tlv.data() + tlv.size()) {
    return Malformed();
  }
  return ByteView(p, static_cast<size_t>(len));
}

}  // namespace

Result<EnvelopeShape> InspectEnvelope(ByteView content_info_der) {
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
  SP_ASSIGN_OR_RETURN(SequencePtr content_info, Elements(content_info_der));
  if (sk_ASN1_TYPE_num(content_info.get()) != 2) return Malformed();
  const ASN1_TYPE* type = sk_ASN1_TYPE_value(content_info.get(), 0);
  const ASN1_TYPE* content = sk_ASN1_TYPE_value(content_info.get(), 1);
  if (type->type != V_ASN1_OBJECT || content->type != V_ASN1_OTHER) return Malformed();
  EnvelopeShape shape;
  shape.content_type_nid = OBJ_obj2nid(type->value.object);
  SP_ASSIGN_OR_RETURN(const ByteView body, ExplicitContents(View(content->value.asn1_string)));

  // (Auth)EnvelopedData: its one SEQUENCE element is the (auth)encryptedContentInfo, its one
  // OCTET STRING element the mac; the rest are INTEGER, SET and context-tagged elements.
  SP_ASSIGN_OR_RETURN(SequencePtr envelope, Elements(body));
  const ASN1_TYPE* encrypted_content_info = nullptr;
  const ASN1_TYPE* mac = nullptr;
  for (int i = 0; i < sk_ASN1_TYPE_num(envelope.get()); ++i) {
    const ASN1_TYPE* e = sk_ASN1_TYPE_value(envelope.get(), i);
    if (e->type == V_ASN1_SEQUENCE) {
      if (encrypted_content_info != nullptr) return Malformed();
      encrypted_content_info = e;
    } else if (e->type == V_ASN1_OCTET_STRING) {
      if (mac != nullptr) return Malformed();
      mac = e;
    }
  }
  if (encrypted_content_info == nullptr) return Malformed();
  if (mac != nullptr) shape.mac_bytes = ASN1_STRING_length(mac->value.octet_string);

  // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, [0] … }
  SP_ASSIGN_OR_RETURN(SequencePtr info, Elements(View(encrypted_content_info->value.sequence)));
  if (sk_ASN1_TYPE_num(info.get()) < 2) return Malformed();
  const ASN1_TYPE* algorithm = sk_ASN1_TYPE_value(info.get(), 1);
  if (algorithm->type != V_ASN1_SEQUENCE) return Malformed();
  const ByteView alg_der = View(algorithm->value.sequence);
  const unsigned char* p = alg_der.data();
  const std::unique_ptr<X509_ALGOR, AlgorFree> alg(
      d2i_X509_ALGOR(nullptr, &p, static_cast<long>(alg_der.size())));
  if (!alg || p != alg_der.data() + alg_der.size()) return Malformed();
  shape.cipher_nid = OBJ_obj2nid(alg->algorithm);
  ERR_clear_error();
  return shape;
}

}  // namespace sealpost::smime::internal
