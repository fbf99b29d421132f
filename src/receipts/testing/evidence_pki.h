// The platform PKI as the receipts tests need it, made in process with smime/platform_ca.h: a
// root, an issuing CA, the TSA certificate and the evidence signer, all valid from `now`.
// Test-only: the keys live in memory and are thrown away with the struct.
#pragma once

#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "smime/platform_ca.h"

namespace sealpost::receipts {

struct TestEvidencePki {
  smime::IssuedKey root;
  smime::IssuedKey issuing;
  smime::IssuedKey tsa;
  smime::IssuedKey evidence;

  // The chain a receipt carries above the evidence signer: issuing CA first, then the root.
  std::vector<smime::Certificate> Chain() const { return {issuing.certificate, root.certificate}; }
};

inline Result<TestEvidencePki> MakeTestEvidencePki(TimePoint now) {
  const smime::CaNames names;
  SP_ASSIGN_OR_RETURN(auto root, smime::CreateRootCa(names, now));
  SP_ASSIGN_OR_RETURN(auto issuing, smime::CreateIssuingCa(root, names, now));
  SP_ASSIGN_OR_RETURN(
      auto tsa, smime::IssueLeafWithNewKey(
                    issuing, names, {smime::LeafProfile::kTimeStamping, "Sealpost TSA", {}}, now));
  SP_ASSIGN_OR_RETURN(
      auto evidence,
      smime::IssueLeafWithNewKey(
          issuing, names, {smime::LeafProfile::kEvidenceSigner, "Sealpost Evidence", {}}, now));
  return TestEvidencePki{std::move(root), std::move(issuing), std::move(tsa), std::move(evidence)};
}

}  // namespace sealpost::receipts
