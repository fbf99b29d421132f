#include "smime/certificate_validation.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "crypto/security_policy.h"
#include "smime/internal/certificate_access.h"
#include "smime/internal/ossl.h"
#include "smime/internal/trust_anchors_access.h"

namespace sealpost::smime {
namespace {

namespace policy = crypto::policy;

Validation Refused(CertificateProblem problem, std::string detail) {
  ERR_clear_error();
  Validation v;
  v.verdict = Verdict::kRefused;
  v.problem = problem;
  v.detail = std::move(detail);
  return v;
}

bool HasEmailProtection(X509* x509) {
  if ((X509_get_extension_flags(x509) & EXFLAG_XKUSAGE) == 0) return true;  // no EKU: any use
  return (X509_get_extended_key_usage(x509) & (XKU_SMIME | XKU_ANYEKU)) != 0;
}

bool KeyUsageAllows(X509* x509, KeyType key, CertificateUse use) {
  if ((X509_get_extension_flags(x509) & EXFLAG_KUSAGE) == 0) return true;  // no keyUsage: any
  const uint32_t usage = X509_get_key_usage(x509);
  if (use == CertificateUse::kSignature) {
    return (usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
  }
  return (usage & (key == KeyType::kEc ? KU_KEY_AGREEMENT : KU_KEY_ENCIPHERMENT)) != 0;
}

CertificateProblem Fail(CertificateProblem problem, std::string text, std::string* detail) {
  if (detail != nullptr) *detail = std::move(text);
  return problem;
}

}  // namespace

CertificateProblem CheckCertificatePolicy(const Certificate& cert, TimePoint now,
                                          std::string* detail) {
  if (now < cert.not_before()) {
    return Fail(
        CertificateProblem::kNotYetValid,
        fmt::format("{} is valid only from {}", cert.subject(), FormatRfc3339(cert.not_before())),
        detail);
  }
  if (now > cert.not_after()) {
    return Fail(CertificateProblem::kExpired,
                fmt::format("{} expired at {}", cert.subject(), FormatRfc3339(cert.not_after())),
                detail);
  }
  const PublicKeyInfo& key = cert.key();
  if (key.type == KeyType::kRsa) {
    if (key.bits < policy::kSmime.min_rsa_bits) {
      return Fail(CertificateProblem::kWeakKey,
                  fmt::format("{} has an RSA key of {} bits, fewer than {}", cert.subject(),
                              key.bits, policy::kSmime.min_rsa_bits),
                  detail);
    }
  } else if (key.type == KeyType::kEc) {
    const auto& curves = policy::kSmime.curves;
    if (std::find(curves.begin(), curves.end(), key.curve) == curves.end()) {
      return Fail(CertificateProblem::kWeakKey,
                  fmt::format("{} has an EC key on {}, not an accepted curve", cert.subject(),
                              key.curve.empty() ? "an unnamed curve" : key.curve),
                  detail);
    }
  } else {
    return Fail(CertificateProblem::kWeakKey,
                fmt::format("{} has a key type S/MIME policy does not accept", cert.subject()),
                detail);
  }
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  if (X509_get_signature_info(CertificateAccess::Raw(cert), &md_nid, &pk_nid, nullptr, nullptr) !=
      1) {
    md_nid = NID_undef;
  }
  ERR_clear_error();
  const char* md_name = md_nid == NID_undef ? nullptr : OBJ_nid2sn(md_nid);
  const auto& digests = policy::kSmime.digests;
  if (md_name == nullptr ||
      std::find(digests.begin(), digests.end(), std::string_view(md_name)) == digests.end()) {
    return Fail(CertificateProblem::kWeakSignature,
                fmt::format("{} is signed with {}, not an accepted digest", cert.subject(),
                            md_name == nullptr ? "an unknown algorithm" : md_name),
                detail);
  }
  return CertificateProblem::kNone;
}

namespace {

// The checks of the leaf that come before the address: its own policy, emailProtection,
// keyUsage. nullopt when they pass.
std::optional<Validation> CheckLeaf(const Certificate& leaf, TimePoint now, CertificateUse use) {
  std::string detail;
  if (const CertificateProblem p = CheckCertificatePolicy(leaf, now, &detail);
      p != CertificateProblem::kNone) {
    return Refused(p, std::move(detail));
  }
  X509* leaf_x509 = CertificateAccess::Raw(leaf);
  if (!HasEmailProtection(leaf_x509)) {
    return Refused(
        CertificateProblem::kNoEmailProtection,
        fmt::format("{} has an extendedKeyUsage without emailProtection", leaf.subject()));
  }
  if (!KeyUsageAllows(leaf_x509, leaf.key().type, use)) {
    return Refused(CertificateProblem::kWrongKeyUsage,
                   fmt::format("the keyUsage of {} does not allow {}", leaf.subject(),
                               use == CertificateUse::kSignature ? "signatures" : "encryption"));
  }
  return std::nullopt;
}

std::optional<Validation> CheckAddress(const Certificate& leaf, const EmailAddress& address) {
  const auto& emails = leaf.email_addresses();
  if (std::find(emails.begin(), emails.end(), address) == emails.end()) {
    return Refused(CertificateProblem::kAddressMismatch,
                   fmt::format("{} is not an address of {}", address.str(), leaf.subject()));
  }
  return std::nullopt;
}

std::atomic<uint64_t> g_path_validations{0};

// The path from the leaf to an anchor, by OpenSSL, at `now`.
Validation ValidatePath(const CertificateChain& certs, const TrustAnchors& anchors, TimePoint now) {
  g_path_validations.fetch_add(1, std::memory_order_relaxed);
  X509* leaf_x509 = CertificateAccess::Raw(certs.leaf);
  // No purpose is set: OpenSSL's S/MIME purposes demand keyEncipherment, which EC recipient
  // certificates (keyAgreement) rightly lack; the EKU rule (CheckLeaf) is the purpose check.
  internal::X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) return Refused(CertificateProblem::kInvalidChain, "out of memory");
  for (const Certificate& c : certs.chain) {
    X509* raw = CertificateAccess::Raw(c);
    if (X509_up_ref(raw) != 1 || sk_X509_push(untrusted.get(), raw) <= 0) {
      return Refused(CertificateProblem::kInvalidChain, "out of memory");
    }
  }
  internal::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), TrustAnchorsAccess::Raw(anchors), leaf_x509,
                                  untrusted.get()) != 1) {
    return Refused(CertificateProblem::kInvalidChain, "cannot start path validation");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, internal::ToTimeT(now));
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  const int verified = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ERR_clear_error();
  if (verified != 1) {
    const std::string why =
        fmt::format("at depth {}: {}", depth, X509_verify_cert_error_string(error));
    switch (error) {
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: {
        Validation v;
        v.verdict = Verdict::kDoesNotChain;
        v.detail = why;
        return v;
      }
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return Refused(CertificateProblem::kExpired, why);
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Refused(CertificateProblem::kNotYetValid, why);
      case X509_V_ERR_EE_KEY_TOO_SMALL:
      case X509_V_ERR_CA_KEY_TOO_SMALL:
        return Refused(CertificateProblem::kWeakKey, why);
      case X509_V_ERR_CA_MD_TOO_WEAK:
        return Refused(CertificateProblem::kWeakSignature, why);
      default:
        return Refused(CertificateProblem::kInvalidChain, why);
    }
  }

  internal::X509StackPtr chain(X509_STORE_CTX_get1_chain(ctx.get()));
  Validation v;
  v.verdict = Verdict::kTrusted;
  const int n = chain ? sk_X509_num(chain.get()) : 0;
  for (int i = 0; i < n; ++i) {
    X509* raw = sk_X509_value(chain.get(), i);
    if (X509_up_ref(raw) != 1) return Refused(CertificateProblem::kInvalidChain, "out of memory");
    auto cert = CertificateAccess::Wrap(raw);
    if (!cert.ok()) {
      return Refused(CertificateProblem::kInvalidChain, "a certificate of the path is unreadable");
    }
    // The anchor (last) is trusted as configured; the others meet the policy.
    if (i > 0 && i + 1 < n) {
      std::string detail;
      if (const CertificateProblem p = CheckCertificatePolicy(*cert, now, &detail);
          p != CertificateProblem::kNone) {
        return Refused(p, fmt::format("in the chain: {}", detail));
      }
    }
    v.path.push_back(std::move(*cert));
  }
  return v;
}

}  // namespace

Validation ValidateCertificate(const CertificateChain& certs, const TrustAnchors& anchors,
                               const EmailAddress& address, TimePoint now, CertificateUse use) {
  if (auto refused = CheckLeaf(certs.leaf, now, use)) return *std::move(refused);
  if (auto refused = CheckAddress(certs.leaf, address)) return *std::move(refused);
  return ValidatePath(certs, anchors, now);
}

PreparedValidation PrepareValidation(const CertificateChain& certs, const TrustAnchors& anchors,
                                     TimePoint now, CertificateUse use) {
  PreparedValidation out{certs.leaf, CheckLeaf(certs.leaf, now, use), {}};
  if (!out.refused_before_address) out.path = ValidatePath(certs, anchors, now);
  return out;
}

Validation ValidateForAddress(const PreparedValidation& prepared, const EmailAddress& address) {
  if (prepared.refused_before_address) return *prepared.refused_before_address;
  if (auto refused = CheckAddress(prepared.leaf, address)) return *std::move(refused);
  return prepared.path;
}

uint64_t CertificatePathValidations() { return g_path_validations.load(std::memory_order_relaxed); }

}  // namespace sealpost::smime
