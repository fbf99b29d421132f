// The OpenSSL store inside TrustAnchors, for smime/'s own translation units only.
#pragma once

#include <openssl/x509_vfy.h>

#include "smime/trust_anchors.h"

namespace sealpost::smime {

struct TrustAnchorsAccess {
  // Valid while `anchors` (or a copy) lives. Verification only: never add to it.
  static X509_STORE* Raw(const TrustAnchors& anchors) { return anchors.store_.get(); }
};

}  // namespace sealpost::smime
