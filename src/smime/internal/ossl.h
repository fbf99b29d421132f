// Small helpers shared by smime/'s translation units, over the RAII handles of ossl_ptr.h.
// Internal to smime/.
#pragma once

#include <ctime>
#include <string>

#include "core/encoding.h"
#include "core/status.h"
#include "core/time.h"
#include "smime/internal/ossl_ptr.h"

namespace sealpost::smime::internal {

// A read-only memory BIO over `bytes` (no copy: `bytes` must outlive it).
BioPtr ReadOnlyBio(ByteView bytes);
// Everything written to a memory BIO so far.
Bytes BioContents(BIO* bio);

// DER encoding of a certificate.
Result<Bytes> CertificateDer(const X509* cert);

// Seconds since the Unix epoch of a time point, as OpenSSL's verification time wants it.
time_t ToTimeT(TimePoint t);

}  // namespace sealpost::smime::internal
