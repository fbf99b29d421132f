// The OpenSSL handle inside a Certificate, for smime/'s own translation units only.
#pragma once

#include <openssl/x509.h>

#include "core/status.h"
#include "smime/certificate.h"

namespace sealpost::smime {

struct CertificateAccess {
  // The certificate's handle; valid while `cert` (or a copy) lives. Never modify it.
  static X509* Raw(const Certificate& cert) { return cert.data_->x509.get(); }
  // Takes one reference to `x509` (up-ref'd by the caller or freshly parsed) and describes it.
  static Result<Certificate> Wrap(X509* x509);
};

}  // namespace sealpost::smime
