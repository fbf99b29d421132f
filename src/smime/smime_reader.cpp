#include "smime/smime_reader.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"
#include "smime/internal/capabilities.h"
#include "smime/internal/certificate_access.h"
#include "smime/internal/certified_key_access.h"
#include "smime/internal/envelope_shape.h"
#include "smime/internal/ossl.h"
#include "smime/internal/pkcs7_mime.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;
using internal::BioPtr;
using internal::CmsPtr;

constexpr int kMinGcmTagBytes = 12;  // RFC 5084 section 3.1, aes-ICVlen
constexpr int kMaxGcmTagBytes = 16;

int CipherNid(std::string_view name) {
  const EVP_CIPHER* cipher = EVP_get_cipherbyname(std::string(name).c_str());
  return cipher == nullptr ? NID_undef : EVP_CIPHER_get_nid(cipher);
}

// The SMIMECapabilities signed attribute (RFC 8551 section 2.5.2), as far as the envelope choice
// needs it; nullopt when the signer sent none.
std::optional<RecipientCapabilities> Capabilities(CMS_SignerInfo* si) {
  const ASN1_STRING* value = static_cast<const ASN1_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_SMIMECapabilities), -3, V_ASN1_SEQUENCE));
  if (value == nullptr) return std::nullopt;
  return internal::DecodeCapabilities(ASN1_STRING_get0_data(value), ASN1_STRING_length(value));
}

Status NotDecrypted() { return Unauthenticated("S/MIME message does not decrypt"); }
Status NotVerified() { return Unauthenticated("S/MIME signature does not verify"); }

Result<CmsPtr> ParseContentInfo(ByteView der) {
  const unsigned char* p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms || p != der.data() + der.size()) {
    ERR_clear_error();
    return InvalidArgument("not a CMS structure");
  }
  return cms;
}

// A memory BIO whose buffer is cleared when freed (BIO_s_secmem): it receives plaintext.
BioPtr SecretSink() { return BioPtr(BIO_new(BIO_s_secmem())); }

// Moves what `bio` holds into zeroizing memory.
crypto::SecretBytes TakeSecret(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int): OpenSSL's type
  if (n <= 0 || data == nullptr) return crypto::SecretBytes(0);
  return crypto::SecretBytes::CopyOf(
      ByteView(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(n)));
}

bool DigestAccepted(CMS_SignerInfo* si) {
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
  if (digest == nullptr) return false;
  const char* name = OBJ_nid2sn(OBJ_obj2nid(digest->algorithm));
  const auto& digests = policy::kSmime.digests;
  return name != nullptr &&
         std::find(digests.begin(), digests.end(), std::string_view(name)) != digests.end();
}

Result<crypto::SecretBytes> Decrypt(ByteView der, const CertifiedKey& recipient,
                                    Envelope* envelope) {
  SP_ASSIGN_OR_RETURN(CmsPtr cms, ParseContentInfo(der));
  SP_ASSIGN_OR_RETURN(const internal::EnvelopeShape shape, internal::InspectEnvelope(der));
  // Only the policy's two envelopes (no 3DES, RC2, AES-128…), and GCM tags of the lengths RFC
  // 5084 allows: OpenSSL would check a tag cut to one byte.
  if (shape.content_type_nid == NID_id_smime_ct_authEnvelopedData &&
      shape.cipher_nid == CipherNid(policy::kSmime.preferred_cipher)) {
    if (shape.mac_bytes < kMinGcmTagBytes || shape.mac_bytes > kMaxGcmTagBytes) {
      return NotDecrypted();
    }
    *envelope = Envelope::kAuthEnvelopedAes256Gcm;
  } else if (shape.content_type_nid == NID_pkcs7_enveloped &&
             shape.cipher_nid == CipherNid(policy::kSmime.fallback_cipher)) {
    *envelope = Envelope::kEnvelopedAes256Cbc;
  } else {
    return InvalidArgument("the S/MIME part is not enveloped data with an accepted cipher");
  }
  const BioPtr out = SecretSink();
  if (!out) return crypto::OpensslFailure("BIO_new");
  // With the certificate given, only the recipient info addressed to it is tried.
  const int ok =
      CMS_decrypt(cms.get(), CertifiedKeyAccess::Raw(recipient),
                  CertificateAccess::Raw(recipient.certificate()), nullptr, out.get(), CMS_BINARY);
  ERR_clear_error();
  if (ok != 1) return NotDecrypted();
  return TakeSecret(out.get());
}

}  // namespace

Result<SmimeContent> ReadSmime(ByteView mime_part, const CertifiedKey& recipient,
                               const TrustAnchors& anchors, const EmailAddress& sender,
                               TimePoint now) {
  SP_ASSIGN_OR_RETURN(internal::Pkcs7MimePart outer, internal::UnwrapPkcs7Mime(mime_part));
  Envelope envelope = Envelope::kEnvelopedAes256Cbc;
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes inner, Decrypt(outer.der, recipient, &envelope));

  auto signed_part = internal::UnwrapPkcs7Mime(inner.view());
  if (!signed_part.ok()) return NotVerified();
  const struct WipeDer {
    Bytes& der;
    ~WipeDer() { crypto::Wipe(der); }
  } wipe{signed_part->der};
  auto cms = ParseContentInfo(signed_part->der);
  if (!cms.ok() || OBJ_obj2nid(CMS_get0_type(cms->get())) != NID_pkcs7_signed) {
    return NotVerified();
  }
  const BioPtr out = SecretSink();
  if (!out) return crypto::OpensslFailure("BIO_new");
  // The signature only; the signer's certificate is validated below by Sealpost's own rules.
  const int verified = CMS_verify(cms->get(), nullptr, nullptr, nullptr, out.get(),
                                  CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
  ERR_clear_error();
  if (verified != 1) return NotVerified();

  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms->get());
  const int n_infos = sk_CMS_SignerInfo_num(infos);
  if (n_infos <= 0) return NotVerified();
  for (int i = 0; i < n_infos; ++i) {
    if (!DigestAccepted(sk_CMS_SignerInfo_value(infos, i))) return NotVerified();
  }
  X509* signer_x509 = nullptr;
  CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(infos, 0), nullptr, &signer_x509, nullptr,
                           nullptr);
  if (signer_x509 == nullptr || X509_up_ref(signer_x509) != 1) return NotVerified();
  auto signer = CertificateAccess::Wrap(signer_x509);
  if (!signer.ok()) return NotVerified();

  CertificateChain chain{*signer, {}};
  internal::X509StackPtr carried(CMS_get1_certs(cms->get()));
  while (carried && sk_X509_num(carried.get()) > 0) {
    auto cert = CertificateAccess::Wrap(sk_X509_shift(carried.get()));
    if (cert.ok() && !(*cert == chain.leaf) &&
        std::find(chain.chain.begin(), chain.chain.end(), *cert) == chain.chain.end()) {
      chain.chain.push_back(std::move(*cert));
    }
  }
  ERR_clear_error();
  Validation validation =
      ValidateCertificate(chain, anchors, sender, now, CertificateUse::kSignature);
  return SmimeContent{TakeSecret(out.get()), envelope, std::move(chain), std::move(validation),
                      Capabilities(sk_CMS_SignerInfo_value(infos, 0))};
}

}  // namespace sealpost::smime
