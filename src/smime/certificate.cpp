#include "smime/certificate.h"

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "core/text.h"
#include "crypto/openssl_error.h"
#include "crypto/security_policy.h"
#include "smime/internal/certificate_access.h"
#include "smime/internal/ossl.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;
using internal::BioPtr;
using internal::X509Ptr;

std::string PrintName(const X509_NAME* name, unsigned long flags) {  // NOLINT(runtime/int)
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  const Bytes text = internal::BioContents(bio.get());
  return std::string(AsChars(text));
}

std::string NameText(const X509_NAME* name) {
  // RFC 2253 with control characters escaped; UTF-8 stays readable (no ESC_MSB) unless the
  // name's strings do not convert to valid UTF-8, in which case every non-ASCII byte is escaped.
  std::string text = PrintName(name, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  if (!IsValidUtf8(text)) text = PrintName(name, XN_FLAG_RFC2253);
  return text;
}

Result<TimePoint> AsnTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return InvalidArgument("unreadable time");
  return FromUnixSeconds(timegm(&tm));
}

PublicKeyInfo DescribeKey(X509* x509) {
  PublicKeyInfo info;
  EVP_PKEY* pkey = X509_get0_pubkey(x509);
  if (pkey == nullptr) return info;
  info.bits = EVP_PKEY_get_bits(pkey);
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      info.type = KeyType::kRsa;
      break;
    case EVP_PKEY_EC: {
      info.type = KeyType::kEc;
      std::array<char, 80> group{};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &len) == 1) {
        info.curve.assign(group.data(), len);
      }
      break;
    }
    case EVP_PKEY_ED25519:
      info.type = KeyType::kEd25519;
      break;
    case EVP_PKEY_ED448:
      info.type = KeyType::kEd448;
      break;
    default:
      info.type = KeyType::kOther;
  }
  return info;
}

// Adds `text` to `out` when it is an IA5String holding an address not there yet (`seen`: the
// addresses of `out`). The whole string is parsed: one with a NUL inside is no address.
void AddEmail(const ASN1_STRING* text, std::vector<EmailAddress>& out,
              std::set<std::string>& seen) {
  if (text == nullptr || ASN1_STRING_type(text) != V_ASN1_IA5STRING) return;
  const std::string_view raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                             static_cast<size_t>(ASN1_STRING_length(text)));
  auto parsed = EmailAddress::Parse(raw);
  if (parsed.ok() && seen.insert(parsed->str()).second) out.push_back(std::move(*parsed));
}

std::vector<EmailAddress> EmailAddresses(X509* x509) {
  std::vector<EmailAddress> out;
  std::set<std::string> seen;
  // Both the subject's emailAddress attributes and the subjectAltName rfc822Names (RFC 8550
  // section 3: agents must recognise both), in that order, as X509_get1_email lists them. Read
  // here rather than with X509_get1_email, which re-sorts its list for every address it adds:
  // a certificate naming a few hundred addresses cost milliseconds at every parse.
  const X509_NAME* subject = X509_get_subject_name(x509);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, i)) {
    AddEmail(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)), out, seen);
  }
  GENERAL_NAMES* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_EMAIL) AddEmail(name->d.rfc822Name, out, seen);
  }
  GENERAL_NAMES_free(names);
  ERR_clear_error();
  return out;
}

CertificateImport Refuse(CertificateProblem problem, std::string detail) {
  ERR_clear_error();
  CertificateImport out;
  out.problem = problem;
  out.detail = std::move(detail);
  return out;
}

// Adds `x509` (taking its reference) to `certs`. Duplicates are removed at the end, so that the
// count limit counts what the input holds.
Status AddCertificate(X509* x509, std::vector<Certificate>& certs) {
  SP_ASSIGN_OR_RETURN(Certificate cert, CertificateAccess::Wrap(x509));
  certs.push_back(std::move(cert));
  return Status::Ok();
}

// The certificates of one DER CMS/PKCS#7 SignedData (a .p7b or .p7s); `what` names the source.
CertificateImport ReadSignedDataCertificates(ByteView der, std::string_view what,
                                             std::vector<Certificate>& certs) {
  const unsigned char* p = der.data();
  internal::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) {
    return Refuse(CertificateProblem::kNotACertificate,
                  fmt::format("{} is neither PEM nor a DER certificate or PKCS#7/CMS", what));
  }
  if (p != der.data() + der.size()) {
    return Refuse(CertificateProblem::kNotACertificate,
                  fmt::format("{} has bytes after its PKCS#7/CMS structure", what));
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return Refuse(CertificateProblem::kNotACertificate,
                  fmt::format("{} is PKCS#7/CMS but not signed data or certificates", what));
  }
  internal::X509StackPtr found(CMS_get1_certs(cms.get()));
  const int n = found ? sk_X509_num(found.get()) : 0;
  if (static_cast<size_t>(n) + certs.size() > policy::kImport.max_certificates_in_bundle) {
    return Refuse(
        CertificateProblem::kTooLarge,
        fmt::format("more than {} certificates", policy::kImport.max_certificates_in_bundle));
  }
  while (sk_X509_num(found.get()) > 0) {
    X509* x509 = sk_X509_shift(found.get());  // takes the stack's reference
    if (!AddCertificate(x509, certs).ok()) {
      return Refuse(CertificateProblem::kNotACertificate,
                    fmt::format("{} holds a certificate that cannot be read", what));
    }
  }
  return {};
}

// One DER certificate; `x509` was parsed from `der` and `end` is where its parse stopped.
CertificateImport AddParsed(X509Ptr x509, const unsigned char* end, ByteView der,
                            std::string_view what, std::vector<Certificate>& certs) {
  if (end != der.data() + der.size()) {
    return Refuse(
        CertificateProblem::kNotACertificate,
        fmt::format("{} has {} bytes after the certificate", what, der.data() + der.size() - end));
  }
  if (certs.size() >= policy::kImport.max_certificates_in_bundle) {
    return Refuse(
        CertificateProblem::kTooLarge,
        fmt::format("more than {} certificates", policy::kImport.max_certificates_in_bundle));
  }
  if (!AddCertificate(x509.release(), certs).ok()) {
    return Refuse(CertificateProblem::kNotACertificate,
                  fmt::format("{} is a certificate that cannot be read", what));
  }
  return {};
}

// A DER certificate, or failing that a DER PKCS#7/CMS SignedData.
CertificateImport ReadDer(ByteView der, std::string_view what, std::vector<Certificate>& certs) {
  const unsigned char* p = der.data();
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x509) return AddParsed(std::move(x509), p, der, what, certs);
  ERR_clear_error();
  return ReadSignedDataCertificates(der, what, certs);
}

struct OpensslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

// Lines that open a PEM block ("-----BEGIN " at the start of a line), as PEM_read_bio finds them.
size_t CountPemBlocks(std::string_view text) {
  size_t n = 0;
  for (size_t pos = text.find("-----BEGIN "); pos != std::string_view::npos;
       pos = text.find("-----BEGIN ", pos + 1)) {
    if (pos == 0 || text[pos - 1] == '\n') ++n;
  }
  return n;
}

CertificateImport ReadPem(std::string_view text, std::vector<Certificate>& certs) {
  const size_t blocks = CountPemBlocks(text);
  const BioPtr bio = internal::ReadOnlyBio(AsBytes(text));
  if (!bio) return Refuse(CertificateProblem::kNotACertificate, "out of memory");
  // Every block that starts must parse: a truncated or corrupted block refuses the whole input,
  // rather than importing what happened to come before it.
  for (size_t i = 0; i < blocks; ++i) {
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long len = 0;  // NOLINT(runtime/int): OpenSSL's type
    const int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
    const std::unique_ptr<char, OpensslFree> name(name_raw);
    const std::unique_ptr<char, OpensslFree> header(header_raw);
    const std::unique_ptr<unsigned char, OpensslFree> data(data_raw);
    if (ok != 1) {
      return Refuse(CertificateProblem::kNotACertificate,
                    fmt::format("PEM block {} is malformed or truncated", i + 1));
    }
    const std::string_view label(name.get());
    const ByteView der(data.get(), static_cast<size_t>(len));
    // The label is the sender's text: named in the detail only when it is short, plain ASCII.
    const bool plain_label =
        label.size() <= 32 &&
        std::all_of(label.begin(), label.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    const std::string what = plain_label ? fmt::format("PEM block {} ({})", i + 1, label)
                                         : fmt::format("PEM block {}", i + 1);
    CertificateImport step;
    if (label == PEM_STRING_X509 || label == PEM_STRING_X509_OLD) {
      const unsigned char* p = der.data();
      X509Ptr x509(d2i_X509(nullptr, &p, len));
      if (!x509) {
        return Refuse(CertificateProblem::kNotACertificate,
                      fmt::format("{} does not hold a certificate", what));
      }
      step = AddParsed(std::move(x509), p, der, what, certs);
    } else if (label == PEM_STRING_PKCS7 || label == PEM_STRING_CMS) {
      step = ReadSignedDataCertificates(der, what, certs);
    } else {
      continue;  // a CRL, a public key…: not what is imported, and harmless
    }
    if (!step.ok()) return step;
  }
  return {};
}

bool IssuedBy(const Certificate& subject, const Certificate& issuer) {
  return X509_check_issued(CertificateAccess::Raw(issuer), CertificateAccess::Raw(subject)) ==
         X509_V_OK;
}

}  // namespace

std::string_view CertificateProblemSlug(CertificateProblem problem) {
  switch (problem) {
    case CertificateProblem::kNone:
      return "";
    case CertificateProblem::kNotACertificate:
      return "not-a-certificate";
    case CertificateProblem::kTooLarge:
      return "too-large";
    case CertificateProblem::kPrivateKeyMaterial:
      return "private-key-material";
    case CertificateProblem::kExpired:
      return "expired";
    case CertificateProblem::kNotYetValid:
      return "not-yet-valid";
    case CertificateProblem::kNoEmailProtection:
      return "no-email-protection";
    case CertificateProblem::kAddressMismatch:
      return "address-mismatch";
    case CertificateProblem::kWrongKeyUsage:
      return "key-usage";
    case CertificateProblem::kWeakKey:
      return "weak-key";
    case CertificateProblem::kWeakSignature:
      return "weak-signature";
    case CertificateProblem::kInvalidChain:
      return "invalid-chain";
  }
  return "";
}

Result<Certificate> CertificateAccess::Wrap(X509* raw) {
  std::shared_ptr<x509_st> x509(raw, X509_free);
  if (!x509) return InvalidArgument("no certificate");
  auto data = std::make_shared<Certificate::Data>();
  data->x509 = x509;
  SP_ASSIGN_OR_RETURN(data->der, internal::CertificateDer(raw));
  data->fingerprint = crypto::Sha256(data->der);
  data->subject = NameText(X509_get_subject_name(raw));
  data->issuer = NameText(X509_get_issuer_name(raw));
  data->emails = EmailAddresses(raw);
  SP_ASSIGN_OR_RETURN(data->not_before, AsnTime(X509_get0_notBefore(raw)));
  SP_ASSIGN_OR_RETURN(data->not_after, AsnTime(X509_get0_notAfter(raw)));
  data->key = DescribeKey(raw);
  data->is_ca = X509_check_ca(raw) != 0;
  ERR_clear_error();
  return Certificate(std::move(data));
}

Result<Certificate> Certificate::FromDer(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509 || p != der.data() + der.size()) {
    ERR_clear_error();
    return InvalidArgument("not exactly one DER certificate");
  }
  return CertificateAccess::Wrap(x509.release());
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  if (pem.size() > 2 * policy::kImport.max_certificate_bytes) {
    return InvalidArgument("certificate: too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return crypto::OpensslFailure("BIO_new_mem_buf");
  X509Ptr x509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x509) {
    ERR_clear_error();
    return InvalidArgument("certificate: no PEM CERTIFICATE block");
  }
  return CertificateAccess::Wrap(x509.release());
}

std::string Certificate::ToPem() const {
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  const std::string b64 = Base64Encode(data_->der);
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += "-----END CERTIFICATE-----\n";
  return out;
}

std::string Certificate::SerialHex() const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(data_->x509.get());
  if (serial == nullptr || serial->length <= 0 || serial->type != V_ASN1_INTEGER) return "";
  std::string hex = HexEncode(ByteView(serial->data, static_cast<size_t>(serial->length)));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

std::string Certificate::FingerprintHex() const { return HexEncode(data_->fingerprint); }

Status CertificateImport::ToStatus() const {
  if (ok()) return Status::Ok();
  std::string text =
      fmt::format("certificate refused ({}): {}", CertificateProblemSlug(problem), detail);
  if (problem == CertificateProblem::kTooLarge) return TooLarge(std::move(text)).ShownToClient();
  return InvalidArgument(std::move(text)).ShownToClient();
}

CertificateImport ImportCertificates(ByteView input) {
  if (input.size() > policy::kImport.max_certificate_bytes) {
    return Refuse(CertificateProblem::kTooLarge,
                  fmt::format("{} bytes, more than the {} a certificate or bundle may have",
                              input.size(), policy::kImport.max_certificate_bytes));
  }
  const std::string_view text = AsChars(input);
  // Before anything is decoded: a private key is never parsed, whatever its PEM label
  // ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"…).
  if (text.find("PRIVATE KEY-----") != std::string_view::npos) {
    return Refuse(CertificateProblem::kPrivateKeyMaterial,
                  "the file holds a private key; only the certificate may be imported");
  }
  if (input.empty()) return Refuse(CertificateProblem::kNotACertificate, "empty input");

  std::vector<Certificate> certs;
  // PEM when a line opens a block (text before it may even start like DER, as "0 s:/CN=…" in
  // `openssl s_client -showcerts` output does); otherwise DER.
  CertificateImport read =
      CountPemBlocks(text) > 0 ? ReadPem(text, certs) : ReadDer(input, "the input", certs);
  if (!read.ok()) return read;
  if (certs.empty()) {
    return Refuse(CertificateProblem::kNotACertificate, "no certificate found in the input");
  }
  std::vector<Certificate> unique;
  for (Certificate& c : certs) {
    if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(std::move(c));
  }
  certs = std::move(unique);

  // The leaf: not a CA and issuer of none of the others; failing that, issuer of none; failing
  // that, the first.
  auto issued_none = [&](const Certificate& c) {
    return std::none_of(certs.begin(), certs.end(), [&](const Certificate& other) {
      return !(other == c) && IssuedBy(other, c);
    });
  };
  auto leaf = std::find_if(certs.begin(), certs.end(),
                           [&](const Certificate& c) { return !c.is_ca() && issued_none(c); });
  if (leaf == certs.end()) leaf = std::find_if(certs.begin(), certs.end(), issued_none);
  if (leaf == certs.end()) leaf = certs.begin();

  CertificateChain chain{*leaf, {}};
  for (auto it = certs.begin(); it != certs.end(); ++it) {
    if (it != leaf) chain.chain.push_back(*it);
  }
  ERR_clear_error();
  CertificateImport out;
  out.certificates = std::move(chain);
  return out;
}

}  // namespace sealpost::smime
