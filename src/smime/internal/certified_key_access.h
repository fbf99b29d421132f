// The private key handle inside a CertifiedKey, for smime/'s own translation units only.
#pragma once

#include <openssl/evp.h>

#include "smime/certified_key.h"

namespace sealpost::smime {

struct CertifiedKeyAccess {
  // Valid while `key` (or a copy) lives. Never export it.
  static EVP_PKEY* Raw(const CertifiedKey& key) { return key.key_.get(); }
};

}  // namespace sealpost::smime
