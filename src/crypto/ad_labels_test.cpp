#include "crypto/ad_labels.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sealpost::crypto {
namespace {

// Stored ciphertexts are bound to these exact bytes: this list is written out by hand, so a change
// to a label in ad_labels.h fails here before it makes existing data unreadable.
TEST(AdLabelsTest, BytesAreTheStoredOnes) {
  EXPECT_EQ(kAdUmk, "sealpost/umk/v1");
  EXPECT_EQ(kAdMemberKeys, "sealpost/member-keys/v1");
  EXPECT_EQ(kAdMemberSmimeKey, "sealpost/member-smime-key/v1");
  EXPECT_EQ(kAdMemberOpenPgpKey, "sealpost/member-openpgp-key/v1");
  EXPECT_EQ(kAdOwnCopyKey, "sealpost/own-copy-key/v1");
  EXPECT_EQ(kAdMessageSummary, "sealpost/message-summary/v1");
  EXPECT_EQ(kAdMessageBody, "sealpost/message-body/v1");
  EXPECT_EQ(kAdPickupKey, "sealpost/pickup-key/v1");
  EXPECT_EQ(kAdPickupToken, "sealpost/pickup-token/v1");
  EXPECT_EQ(kAdPickupUpload, "sealpost/pickup-upload/v1");
  EXPECT_EQ(kAdBlob, "sealpost/blob/v1");
  EXPECT_EQ(kAdMasterWrap, "sealpost/master-wrap/v1");
  EXPECT_EQ(kAdGatewayUpload, "sealpost/gateway-upload/v1");
  EXPECT_EQ(kMasterPurposeTotp, "totp/");
  EXPECT_EQ(kMasterPurposeOutboundMail, "outbound-mail/");
  EXPECT_EQ(kMasterPurposeGuestSeal, "guest-seal");
  EXPECT_EQ(kMasterPurposeAuditSigning, "audit-signing");
  EXPECT_EQ(kMasterPurposePkiRootCa, "pki-root-ca");
  EXPECT_EQ(kMasterPurposePkiIssuingCa, "pki-issuing-ca");
  EXPECT_EQ(kMasterPurposePkiEvidenceSigner, "pki-evidence-signer");
  EXPECT_EQ(kMasterPurposePkiTsa, "pki-tsa");
  EXPECT_EQ(kMasterPurposeBounceTag, "bounce-tag");
  EXPECT_EQ(kMasterPurposeGatewaySeal, "gateway-seal");
}

TEST(AdLabelsTest, LabelsAreDistinctAndWellFormed) {
  std::set<std::string_view> seen;
  for (std::string_view label : kAllAdLabels) {
    EXPECT_TRUE(seen.insert(label).second) << "duplicate label " << label;
    EXPECT_TRUE(label.starts_with("sealpost/")) << label;
    EXPECT_TRUE(label.ends_with("/v1")) << label;
    EXPECT_EQ(label.find('|'), std::string_view::npos) << label;
  }
  EXPECT_EQ(seen.size(), kAllAdLabels.size());
}

TEST(AdLabelsTest, MasterPurposesAreDistinctAndNoneIsAPrefixOfAnother) {
  for (size_t i = 0; i < kAllMasterPurposes.size(); ++i) {
    EXPECT_EQ(kAllMasterPurposes[i].find('|'), std::string_view::npos);
    for (size_t j = 0; j < kAllMasterPurposes.size(); ++j) {
      if (i == j) continue;
      EXPECT_FALSE(kAllMasterPurposes[j].starts_with(kAllMasterPurposes[i]))
          << kAllMasterPurposes[i] << " is a prefix of " << kAllMasterPurposes[j];
    }
  }
}

TEST(AdLabelsTest, BindJoinsWithBars) {
  EXPECT_EQ(BindAd(kAdUmk, {"password", "u1"}), "sealpost/umk/v1|password|u1");
  EXPECT_EQ(BindAd(kAdMasterWrap, {"totp/u1"}), "sealpost/master-wrap/v1|totp/u1");
  EXPECT_EQ(BindAd(kAdBlob, {}), "sealpost/blob/v1");
}

}  // namespace
}  // namespace sealpost::crypto
