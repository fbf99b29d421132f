#include "http/self_signed.h"

#include "crypto/openssl_error.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace sealpost::http {
namespace {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using Ia5StringPtr = std::unique_ptr<ASN1_IA5STRING, Deleter<ASN1_IA5STRING_free>>;
using OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

bool IsDnsName(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

Result<std::string> BioContents(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  if (mem == nullptr) return Internal("empty PEM buffer");
  return std::string(mem->data, mem->length);
}

Status AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return crypto::OpensslFailure("X509 extension");
  return Status::Ok();
}

Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ip_addresses) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return crypto::OpensslFailure("GENERAL_NAMES_new");
  for (const std::string& dns : dns_names) {
    Ia5StringPtr text(ASN1_IA5STRING_new());
    if (!text || ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      return crypto::OpensslFailure("ASN1_STRING_set");
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!name) return crypto::OpensslFailure("GENERAL_NAME_new");
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return crypto::OpensslFailure("push");
    name.release();
  }
  for (const std::string& ip : ip_addresses) {
    OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) {
      ERR_clear_error();
      return InvalidArgument("not an IP address: " + ip);
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!name) return crypto::OpensslFailure("GENERAL_NAME_new");
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return crypto::OpensslFailure("push");
    name.release();
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) return Status::Ok();
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return crypto::OpensslFailure("subjectAltName");
  }
  return Status::Ok();
}

}  // namespace

Result<PemPair> GenerateSelfSignedCertificate(std::string_view common_name,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              int valid_days) {
  if (common_name.empty() || common_name.size() > 64) {
    return InvalidArgument("common name must have 1 to 64 characters");
  }
  if (valid_days < 1 || valid_days > 3650) return InvalidArgument("valid_days outside 1..3650");
  for (const std::string& dns : dns_names) {
    if (!IsDnsName(dns)) return InvalidArgument("not a DNS name: " + dns);
  }

  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return crypto::OpensslFailure("EVP_PKEY_Q_keygen");

  X509Ptr cert(X509_new());
  if (!cert) return crypto::OpensslFailure("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return crypto::OpensslFailure("X509_set_version");

  // 128 random bits as a positive INTEGER (DER adds a 0x00 octet when the top bit is set: at most
  // 17 octets, within RFC 5280's 20). Zero is not a valid serial; draw again in that case.
  BignumPtr serial_bn(BN_new());
  if (!serial_bn) return crypto::OpensslFailure("BN_new");
  do {
    if (BN_rand(serial_bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return crypto::OpensslFailure("BN_rand");
    }
  } while (BN_is_zero(serial_bn.get()));
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) {
    return crypto::OpensslFailure("serial number");
  }

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), valid_days, 0, nullptr) == nullptr) {
    return crypto::OpensslFailure("validity");
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return crypto::OpensslFailure("X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return crypto::OpensslFailure("common name");
  }
  if (X509_set_issuer_name(cert.get(), name) != 1) return crypto::OpensslFailure("issuer name");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  SP_RETURN_IF_ERROR(
      AddConfExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  SP_RETURN_IF_ERROR(
      AddConfExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  SP_RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
  SP_RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  SP_RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), dns_names, ip_addresses));

  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return crypto::OpensslFailure("X509_sign");

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return crypto::OpensslFailure("PEM_write_bio_X509");
  }
  // Memory BIOs clear their buffer when freed, so the key text leaves no copy behind there.
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                           nullptr) != 1) {
    return crypto::OpensslFailure("PEM_write_bio_PrivateKey");
  }
  PemPair pair;
  SP_ASSIGN_OR_RETURN(pair.certificate_pem, BioContents(cert_bio.get()));
  BUF_MEM* key_text = nullptr;
  BIO_get_mem_ptr(key_bio.get(), &key_text);
  if (key_text == nullptr) return Internal("empty PEM buffer");
  pair.private_key_pem =
      crypto::SecretString::CopyOf(std::string_view(key_text->data, key_text->length));
  return pair;
}

}  // namespace sealpost::http
