// TrustAnchors: the certificates S/MIME certificate chains are validated against — Debian's CA
// bundle and/or anchors an administrator configured (their own CA, the platform root).
//
// Debian's bundle (/etc/ssl/certs/ca-certificates.crt) holds the Mozilla roots trusted for TLS
// servers; several of them also issue S/MIME certificates, which is why it may be used, but
// Mozilla's separate e-mail trust bit is not in it (docs/formats/smime.md).
//
// Anchors are trusted as they are: an anchor need not be self-signed (an administrator may trust
// an intermediate; X509_V_FLAG_PARTIAL_CHAIN), and its own signature and validity are not checked.
//
// SECURITY: the PEM texts are configuration, not network input, but are parsed strictly all the
// same: a text with a private key, a broken block or no certificate is refused.
//
// Thread-safety: immutable after construction; copies share one OpenSSL X509_STORE, which
// OpenSSL locks internally; validations may run concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "smime/certificate.h"

struct x509_store_st;  // OpenSSL's X509_STORE; kept out of this header.

namespace sealpost::smime {

inline constexpr std::string_view kDebianCaBundlePath = "/etc/ssl/certs/ca-certificates.crt";
// A system bundle larger than this is refused (Debian's is about 220 KB).
inline constexpr size_t kMaxCaBundleBytes = 8 * 1024 * 1024;

class TrustAnchors final {
 public:
  // Every CERTIFICATE block of every text. InvalidArgument when a text holds a private key, a
  // malformed block or no certificate at all.
  static Result<TrustAnchors> FromPem(std::span<const std::string_view> pem_texts);
  // The bundle at `bundle_path` (e.g. kDebianCaBundlePath), plus `extra_pem` anchors.
  // NotFound / Unavailable when the file cannot be read, TooLarge over kMaxCaBundleBytes.
  static Result<TrustAnchors> LoadBundle(std::string_view bundle_path,
                                         std::span<const std::string_view> extra_pem = {});

  size_t size() const { return count_; }

 private:
  TrustAnchors(std::shared_ptr<x509_store_st> store, size_t count)
      : store_(std::move(store)), count_(count) {}
  std::shared_ptr<x509_store_st> store_;
  size_t count_ = 0;

  friend struct TrustAnchorsAccess;  // smime/internal/trust_anchors_access.h
};

}  // namespace sealpost::smime
