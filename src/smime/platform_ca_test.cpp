#include "smime/platform_ca.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "crypto/security_policy.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::smime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunTool;

class PlatformCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = CreateRootCa(names_, now_);
    ASSERT_THAT(root.status(), IsOk());
    root_.emplace(std::move(*root));
    auto issuing = CreateIssuingCa(*root_, names_, now_);
    ASSERT_THAT(issuing.status(), IsOk());
    issuing_.emplace(std::move(*issuing));
    Write("root.pem", root_->certificate.ToPem());
    Write("intermediate.pem", issuing_->certificate.ToPem());
  }

  std::string Write(const std::string& name, const std::string& text) {
    return testutil::WriteTestFile(dir_.path(), name, text);
  }

  IssuedKey Issue(LeafProfile profile, std::string cn, std::optional<std::string> email = {}) {
    LeafRequest request{profile, std::move(cn), std::nullopt};
    if (email) request.email = *EmailAddress::Parse(*email);
    auto leaf = IssueLeafWithNewKey(*issuing_, names_, request, now_);
    EXPECT_THAT(leaf.status(), IsOk());
    return std::move(*leaf);
  }

  // `openssl verify` of leaf.pem against the root, with the intermediate as untrusted chain.
  testutil::ToolResult Verify(const Certificate& leaf, const std::string& purpose = "") {
    Write("leaf.pem", leaf.ToPem());
    std::vector<std::string> argv = {"openssl",  "verify",     "-CAfile",
                                     "root.pem", "-untrusted", "intermediate.pem"};
    if (!purpose.empty()) {
      argv.push_back("-purpose");
      argv.push_back(purpose);
    }
    argv.push_back("leaf.pem");
    return RunTool(argv, dir_.path());
  }

  std::string Text(const Certificate& cert) {
    Write("show.pem", cert.ToPem());
    const auto r = RunTool({"openssl", "x509", "-in", "show.pem", "-noout", "-text"}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return r.output();
  }

  testutil::TempDir dir_;
  // The tools check validity against the real time, so the certificates start now.
  TimePoint now_ = std::chrono::system_clock::now();
  CaNames names_{"Example Bank", "Example Bank Root CA", "Example Bank Issuing CA"};
  std::optional<IssuedKey> root_;
  std::optional<IssuedKey> issuing_;
};

TEST_F(PlatformCaTest, EveryProfileVerifiesWithOpenssl) {
  const IssuedKey member = Issue(LeafProfile::kMemberSmime, "Alice Example", "alice@example.org");
  const IssuedKey evidence = Issue(LeafProfile::kEvidenceSigner, "Example Bank evidence");
  const IssuedKey tsa = Issue(LeafProfile::kTimeStamping, "Example Bank TSA");
  for (const IssuedKey* leaf : {&member, &evidence, &tsa}) {
    const auto r = Verify(leaf->certificate);
    EXPECT_EQ(r.exit_code, 0) << leaf->certificate.subject() << ": " << r.output();
    EXPECT_THAT(r.output(), HasSubstr("leaf.pem: OK"));
    EXPECT_THAT(CheckIssuedBy(leaf->certificate, issuing_->certificate), IsOk());
    EXPECT_THAT(CheckKeyMatches(leaf->certificate, leaf->key), IsOk());
  }
  EXPECT_THAT(CheckIssuedBy(issuing_->certificate, root_->certificate), IsOk());
  EXPECT_THAT(CheckIssuedBy(root_->certificate, root_->certificate), IsOk());
  // Without the intermediate there is no path to the root.
  Write("leaf.pem", member.certificate.ToPem());
  EXPECT_NE(
      RunTool({"openssl", "verify", "-CAfile", "root.pem", "leaf.pem"}, dir_.path()).exit_code, 0);
}

TEST_F(PlatformCaTest, PurposesSeparateTheProfiles) {
  const IssuedKey member = Issue(LeafProfile::kMemberSmime, "Alice Example", "alice@example.org");
  const IssuedKey evidence = Issue(LeafProfile::kEvidenceSigner, "Example Bank evidence");
  const IssuedKey tsa = Issue(LeafProfile::kTimeStamping, "Example Bank TSA");

  EXPECT_EQ(Verify(member.certificate, "smimesign").exit_code, 0);
  // Not checked: "-purpose smimeencrypt", which in OpenSSL 3.0 asks for keyEncipherment (RSA key
  // transport); an EC key agrees keys instead (keyAgreement, RFC 8551 section 2.4.1 with ECDH).
  EXPECT_NE(Verify(member.certificate, "timestampsign").exit_code, 0);

  EXPECT_EQ(Verify(tsa.certificate, "timestampsign").exit_code, 0);
  EXPECT_NE(Verify(tsa.certificate, "smimesign").exit_code, 0);

  // The evidence signer is neither a mail signer nor a TSA (EKU id-kp-documentSigning only).
  EXPECT_NE(Verify(evidence.certificate, "smimesign").exit_code, 0);
  EXPECT_NE(Verify(evidence.certificate, "timestampsign").exit_code, 0);
  EXPECT_EQ(Verify(evidence.certificate, "any").exit_code, 0);
}

// The certificates do what their profiles promise with openssl cms: a member signs and receives
// mail; the evidence signer signs, but its signature passes only when the verifier does not insist
// on an S/MIME purpose (docs/formats/platform-pki.md).
TEST_F(PlatformCaTest, CertificatesWorkWithOpensslCms) {
  const IssuedKey member = Issue(LeafProfile::kMemberSmime, "Alice Example", "alice@example.org");
  const IssuedKey evidence = Issue(LeafProfile::kEvidenceSigner, "Example Bank evidence");
  const auto write_key = [&](const std::string& name, const CertificateKey& key) {
    auto der = key.ExposePkcs8Der();
    ASSERT_THAT(der.status(), IsOk());
    Write(name, std::string(der->AsStringView()));
  };
  write_key("member.key", member.key);
  write_key("evidence.key", evidence.key);
  Write("member.pem", member.certificate.ToPem());
  Write("evidence.pem", evidence.certificate.ToPem());
  Write("text.txt", "signed text\n");
  const std::string d = dir_.path();
  const auto run = [&](std::vector<std::string> argv) { return RunTool(argv, d); };

  auto r = run({"openssl", "cms", "-sign", "-in", "text.txt", "-signer", "member.pem", "-inkey",
                "member.key", "-keyform", "DER", "-nodetach", "-binary", "-certfile",
                "intermediate.pem", "-out", "member.p7s", "-outform", "DER"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  r = run({"openssl", "cms", "-verify", "-in", "member.p7s", "-inform", "DER", "-CAfile",
           "root.pem", "-out", "out.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.output();

  r = run({"openssl", "cms", "-encrypt", "-binary", "-aes-256-gcm", "-in", "text.txt", "-out",
           "enc.p7m", "member.pem"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  r = run({"openssl", "cms", "-decrypt", "-in", "enc.p7m", "-recip", "member.pem", "-inkey",
           "member.key", "-keyform", "DER", "-out", "dec.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.output();
  EXPECT_EQ(run({"cmp", "text.txt", "dec.txt"}).exit_code, 0);

  r = run({"openssl", "cms", "-sign", "-in", "text.txt", "-signer", "evidence.pem", "-inkey",
           "evidence.key", "-keyform", "DER", "-nodetach", "-binary", "-certfile",
           "intermediate.pem", "-out", "evidence.p7s", "-outform", "DER"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  r = run({"openssl", "cms", "-verify", "-in", "evidence.p7s", "-inform", "DER", "-CAfile",
           "root.pem", "-out", "out.txt"});
  EXPECT_NE(r.exit_code, 0) << "an evidence signature passed as an S/MIME one";
  EXPECT_THAT(r.output(), HasSubstr("unsuitable certificate purpose"));
  r = run({"openssl", "cms", "-verify", "-in", "evidence.p7s", "-inform", "DER", "-CAfile",
           "root.pem", "-purpose", "any", "-out", "out.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.output();
}

TEST_F(PlatformCaTest, ExtensionsAreThoseOfTheProfile) {
  const std::string root = Text(root_->certificate);
  EXPECT_THAT(root, HasSubstr("Subject: O = Example Bank, CN = Example Bank Root CA"));
  EXPECT_THAT(root, HasSubstr("X509v3 Basic Constraints: critical\n                CA:TRUE\n"));
  EXPECT_THAT(root, HasSubstr("X509v3 Key Usage: critical\n                Certificate Sign, "
                              "CRL Sign"));
  EXPECT_THAT(root, HasSubstr("X509v3 Subject Key Identifier"));
  EXPECT_THAT(root, HasSubstr("ecdsa-with-SHA256"));
  EXPECT_THAT(root, HasSubstr("NIST CURVE: P-256"));

  const std::string issuing = Text(issuing_->certificate);
  EXPECT_THAT(issuing, HasSubstr("CA:TRUE, pathlen:0"));
  EXPECT_THAT(issuing, HasSubstr("Issuer: O = Example Bank, CN = Example Bank Root CA"));
  EXPECT_THAT(issuing, HasSubstr("X509v3 Authority Key Identifier"));

  const std::string member =
      Text(Issue(LeafProfile::kMemberSmime, "Alice Example", "alice@example.org").certificate);
  EXPECT_THAT(member, HasSubstr("Subject: CN = Alice Example, emailAddress = alice@example.org"));
  EXPECT_THAT(member, HasSubstr("CA:FALSE"));
  EXPECT_THAT(member, HasSubstr("X509v3 Key Usage: critical\n                Digital Signature, "
                                "Key Agreement"));
  EXPECT_THAT(member, HasSubstr("X509v3 Extended Key Usage: \n                E-mail Protection"));
  EXPECT_THAT(member, HasSubstr("email:alice@example.org"));
  EXPECT_THAT(member, HasSubstr("X509v3 Authority Key Identifier"));

  const std::string evidence =
      Text(Issue(LeafProfile::kEvidenceSigner, "Example Bank evidence").certificate);
  EXPECT_THAT(evidence, HasSubstr("Digital Signature, Non Repudiation"));
  EXPECT_THAT(evidence, HasSubstr("1.3.6.1.5.5.7.3.36"));
  EXPECT_THAT(evidence, Not(HasSubstr("E-mail Protection")));

  const std::string tsa = Text(Issue(LeafProfile::kTimeStamping, "Example Bank TSA").certificate);
  EXPECT_THAT(tsa, HasSubstr("X509v3 Extended Key Usage: critical\n                Time Stamping"));
  EXPECT_THAT(tsa, HasSubstr("X509v3 Key Usage: critical\n                Digital Signature\n"));
}

TEST_F(PlatformCaTest, AFlippedByteFailsVerification) {
  const IssuedKey leaf = Issue(LeafProfile::kTimeStamping, "Example Bank TSA");
  // The last byte lies in the signature value: the certificate still parses but is forged.
  Bytes der = leaf.certificate.der();
  der.back() ^= 0x01;
  auto forged = Certificate::FromDer(der);
  ASSERT_THAT(forged.status(), IsOk());
  EXPECT_THAT(CheckIssuedBy(*forged, issuing_->certificate), StatusIs(ErrorCode::kUnauthenticated));
  const auto r = Verify(*forged);
  EXPECT_NE(r.exit_code, 0) << r.output();

  // A flipped byte in the signed part (inside the subject's public key) fails too.
  der = leaf.certificate.der();
  der[der.size() / 2] ^= 0x01;
  if (auto changed = Certificate::FromDer(der); changed.ok()) {
    EXPECT_THAT(CheckIssuedBy(*changed, issuing_->certificate),
                StatusIs(ErrorCode::kUnauthenticated));
    EXPECT_NE(Verify(*changed).exit_code, 0);
  }
  // The intermediate itself forged: the chain breaks.
  Bytes inter = issuing_->certificate.der();
  inter.back() ^= 0x01;
  Write("intermediate.pem", Certificate::FromDer(inter)->ToPem());
  EXPECT_NE(Verify(leaf.certificate).exit_code, 0);
}

TEST_F(PlatformCaTest, SerialsAreRandomAndValidityFollowsThePolicy) {
  std::set<std::string> serials;
  for (int i = 0; i < 4; ++i) {
    const IssuedKey leaf = Issue(LeafProfile::kEvidenceSigner, "evidence");
    Write("s.pem", leaf.certificate.ToPem());
    const auto r = RunTool({"openssl", "x509", "-in", "s.pem", "-noout", "-serial"}, dir_.path());
    ASSERT_EQ(r.exit_code, 0);
    serials.insert(r.output());
    const auto days =
        std::chrono::duration_cast<std::chrono::hours>(leaf.certificate.not_after() - now_)
            .count() /
        24;
    EXPECT_NEAR(days, crypto::policy::kPki.leaf_validity_days, 1);
  }
  EXPECT_EQ(serials.size(), 4u);
  const auto root_days =
      std::chrono::duration_cast<std::chrono::hours>(root_->certificate.not_after() - now_)
          .count() /
      24;
  EXPECT_NEAR(root_days, crypto::policy::kPki.root_validity_days, 1);
}

TEST_F(PlatformCaTest, LeavesNeverOutliveTheirIssuer) {
  // Nine years and 364 days into the issuing CA's ten years: the leaf ends with the CA.
  const TimePoint late =
      now_ + std::chrono::hours(24) * (crypto::policy::kPki.issuing_validity_days - 1);
  auto leaf = IssueLeafWithNewKey(*issuing_, names_,
                                  {LeafProfile::kTimeStamping, "TSA", std::nullopt}, late);
  ASSERT_THAT(leaf.status(), IsOk());
  EXPECT_EQ(leaf->certificate.not_after(), issuing_->certificate.not_after());
  // After the CA expired nothing is issued.
  const TimePoint after = issuing_->certificate.not_after() + std::chrono::hours(1);
  EXPECT_THAT(IssueLeafWithNewKey(*issuing_, names_,
                                  {LeafProfile::kTimeStamping, "TSA", std::nullopt}, after)
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(PlatformCaTest, BadRequestsAreRefused) {
  auto email = EmailAddress::Parse("bob@example.org");
  ASSERT_THAT(email.status(), IsOk());
  EXPECT_THAT(
      IssueLeafWithNewKey(*issuing_, names_, {LeafProfile::kMemberSmime, "Bob", std::nullopt}, now_)
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      IssueLeafWithNewKey(*issuing_, names_, {LeafProfile::kTimeStamping, "TSA", *email}, now_)
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      IssueLeafWithNewKey(*issuing_, names_, {LeafProfile::kEvidenceSigner, "", std::nullopt}, now_)
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      IssueLeafWithNewKey(*issuing_, names_,
                          {LeafProfile::kEvidenceSigner, std::string(65, 'x'), std::nullopt}, now_)
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(IssueLeaf(*issuing_, names_, {LeafProfile::kEvidenceSigner, "e", std::nullopt},
                        AsBytes("not a key"), now_)
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // A CA whose key does not match its certificate issues nothing.
  IssuedKey mismatched{issuing_->certificate, root_->key};
  EXPECT_THAT(IssueLeafWithNewKey(mismatched, names_,
                                  {LeafProfile::kTimeStamping, "TSA", std::nullopt}, now_)
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(PlatformCaTest, KeysRoundTripThroughPkcs8AndOthersAreRefused) {
  const IssuedKey leaf = Issue(LeafProfile::kTimeStamping, "TSA");
  auto der = leaf.key.ExposePkcs8Der();
  ASSERT_THAT(der.status(), IsOk());
  ASSERT_FALSE(der->empty());
  auto again = CertificateKey::FromPkcs8Der(der->view());
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_THAT(CheckKeyMatches(leaf.certificate, *again), IsOk());
  EXPECT_THAT(CheckKeyMatches(leaf.certificate, issuing_->key),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(again->PublicKeyDer(), leaf.key.PublicKeyDer());

  EXPECT_THAT(CertificateKey::FromPkcs8Der(AsBytes("garbage")).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // P-384 and RSA keys made by openssl itself: not the policy curve.
  for (const std::vector<std::string>& gen :
       {std::vector<std::string>{"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                 "ec_paramgen_curve:P-384", "-outform", "DER", "-out", "k.der"},
        std::vector<std::string>{"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                 "rsa_keygen_bits:2048", "-outform", "DER", "-out", "k.der"}}) {
    ASSERT_EQ(RunTool(gen, dir_.path()).exit_code, 0);
    std::ifstream in(dir_.path() + "/k.der", std::ios::binary);
    const Bytes other((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(other.empty());
    EXPECT_THAT(CertificateKey::FromPkcs8Der(other).status(),
                StatusIs(ErrorCode::kInvalidArgument));
  }
}

TEST_F(PlatformCaTest, CertificatesParseFromPemAndDerOnly) {
  auto pem = Certificate::FromPem(root_->certificate.ToPem());
  ASSERT_THAT(pem.status(), IsOk());
  EXPECT_EQ(*pem, root_->certificate);
  EXPECT_EQ(pem->FingerprintHex().size(), 64u);
  EXPECT_THAT(Certificate::FromPem("no pem here").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Certificate::FromDer({}).status(), StatusIs(ErrorCode::kInvalidArgument));
  Bytes trailing = root_->certificate.der();
  trailing.push_back(0);
  EXPECT_THAT(Certificate::FromDer(trailing).status(), StatusIs(ErrorCode::kInvalidArgument));
  Bytes truncated = root_->certificate.der();
  truncated.resize(truncated.size() - 1);
  EXPECT_THAT(Certificate::FromDer(truncated).status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::smime
