// The platform's own PKI, kept in the store (docs/formats/platform-pki.md): a root CA, an issuing
// CA under it, the evidence (receipt) signer and the time-stamping authority, made by
// smime/platform_ca.h on first start.
//
// Each lives in one platform_keys row named after its master-key purpose (crypto/ad_labels.h,
// kMasterPurposePki*): the row's public part holds the certificate (DER, in the clear), its
// secret part the PKCS#8 private key wrapped under the master key with that purpose. Loading
// checks every key against its certificate and every certificate against its issuer, so rows
// swapped or edited in the database are refused (Corruption) rather than used.
//
// Thread-safety: LoadOrCreatePlatformPki may run in several processes sharing one database at
// once; all four rows are written in one transaction and a process that loses the race loads the
// winner's. The returned value is immutable and safe to share.
#pragma once

#include <vector>

#include "core/status.h"
#include "crypto/ad_labels.h"
#include "keys/master_key.h"
#include "platform/clock.h"
#include "smime/platform_ca.h"
#include "store/store.h"

namespace sealpost::trust {

struct PlatformPki {
  smime::IssuedKey root;
  smime::IssuedKey issuing;
  smime::IssuedKey evidence_signer;
  smime::IssuedKey tsa;

  // The CA certificates above a leaf, issuing CA first: what a token or receipt carries.
  std::vector<smime::Certificate> Chain() const { return {issuing.certificate, root.certificate}; }
};

// Loads the PKI, creating what is missing: everything on first start; a missing leaf later (a
// new profile) from the stored issuing CA. Corruption when a stored row does not unwrap, parse or
// chain; NotFound-free: a store error is passed on.
Result<PlatformPki> LoadOrCreatePlatformPki(store::Store& store, const keys::MasterKey& master,
                                            const platform::Clock& clock,
                                            const smime::CaNames& names = {});

}  // namespace sealpost::trust
