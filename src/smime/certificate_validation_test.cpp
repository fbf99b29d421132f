#include "smime/certificate_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "smime/testing/test_pki.h"
#include "smime/trust_anchors.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::smime {
namespace {

using std::chrono::hours;
constexpr CertificateUse kEnc = CertificateUse::kEncryption;

// Certificates made by the openssl command line, one per rule.
class CertificateValidationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    pki_ = new testing::TestPki(dir_->path());
    ASSERT_TRUE(pki_->MakeCa("ca"));
    ASSERT_TRUE(pki_->MakeCa("other-ca"));
    ASSERT_TRUE(pki_->MakeLeaf("rsa", "ca", {.key = "rsa:3072", .email = "rsa@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("ec", "ca", {.key = "ec:P-256", .email = "ec@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("p384", "ca", {.key = "ec:P-384", .email = "p384@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("p521", "ca", {.key = "ec:P-521", .email = "p521@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("rsa1024", "ca", {.key = "rsa:1024", .email = "weak@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("sha1", "ca", {.email = "sha1@example.org", .digest = "sha1"}));
    ASSERT_TRUE(
        pki_->MakeLeaf("tls", "ca", {.email = "tls@example.org", .eku = "clientAuth,serverAuth"}));
    ASSERT_TRUE(pki_->MakeLeaf("any-eku", "ca",
                               {.email = "any@example.org", .eku = "anyExtendedKeyUsage"}));
    ASSERT_TRUE(pki_->MakeLeaf("no-eku", "ca", {.email = "noeku@example.org", .eku = ""}));
    ASSERT_TRUE(
        pki_->MakeLeaf("dn-email", "ca", {.subject = "/CN=Dn/emailAddress=Dn@Example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("self", "", {.email = "self@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf(
        "sign-only-rsa", "ca",
        {.key = "rsa:2048", .email = "so@example.org", .key_usage = "digitalSignature"}));
    ASSERT_TRUE(pki_->MakeLeaf(
        "sign-only-ec", "ca",
        {.email = "so@example.org", .key_usage = "digitalSignature,nonRepudiation"}));
    ASSERT_TRUE(pki_->MakeLeaf(
        "rsa-enc-only", "ca",
        {.key = "rsa:2048", .email = "eo@example.org", .key_usage = "keyEncipherment"}));
    ASSERT_TRUE(pki_->MakeLeaf("ec-keyenc", "ca",
                               {.email = "ke@example.org", .key_usage = "keyEncipherment"}));
    ASSERT_TRUE(pki_->MakeCa("issuer"));
    ASSERT_TRUE(pki_->MakeLeaf("via-intermediate", "issuer", {.email = "via@example.org"}));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  static CertificateChain Load(const std::string& name) {
    const CertificateImport got = ImportCertificates(AsBytes(pki_->ReadFile(name + ".pem")));
    EXPECT_TRUE(got.ok()) << name << ": " << got.detail;
    return *got.certificates;
  }
  static TrustAnchors Anchors(const std::vector<std::string>& names) {
    std::vector<std::string> texts;
    for (const std::string& n : names) texts.push_back(pki_->ReadFile(n + ".pem"));
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    auto anchors = TrustAnchors::FromPem(views);
    EXPECT_THAT(anchors.status(), IsOk());
    return *anchors;
  }
  static EmailAddress Addr(std::string_view text) { return *EmailAddress::Parse(text); }
  static Validation Validate(const std::string& name, std::string_view address,
                             TimePoint now = std::chrono::system_clock::now()) {
    return ValidateCertificate(Load(name), Anchors({"ca"}), Addr(address), now,
                               CertificateUse::kEncryption);
  }

  static inline testutil::TempDir* dir_ = nullptr;
  static inline testing::TestPki* pki_ = nullptr;
};

TEST_F(CertificateValidationTest, TrustsCertificatesIssuedByAnAnchor) {
  for (const auto& [name, address] : std::vector<std::pair<std::string, std::string>>{
           {"rsa", "rsa@example.org"},
           {"ec", "EC@example.org"},  // addresses compare case-insensitively
           {"p384", "p384@example.org"},
           {"any-eku", "any@example.org"},
           {"no-eku", "noeku@example.org"},
           {"dn-email", "dn@example.org"}}) {
    const Validation v = Validate(name, address);
    EXPECT_EQ(v.verdict, Verdict::kTrusted) << name << ": " << v.detail;
    EXPECT_EQ(v.problem, CertificateProblem::kNone) << name;
    ASSERT_EQ(v.path.size(), 2u) << name;
    const std::string subject =
        name == "dn-email" ? "emailAddress=Dn@Example.org,CN=Dn" : "CN=" + name;
    EXPECT_EQ(v.path[0].subject(), subject);
    EXPECT_EQ(v.path[1].subject(), "CN=ca");
  }
}

TEST_F(CertificateValidationTest, CertificatesThatDoNotChainAreKeptForPersonalVerification) {
  const Validation self = Validate("self", "self@example.org");
  EXPECT_EQ(self.verdict, Verdict::kDoesNotChain) << self.detail;
  EXPECT_EQ(self.problem, CertificateProblem::kNone);
  EXPECT_TRUE(self.path.empty());

  const Validation other =
      ValidateCertificate(Load("ec"), Anchors({"other-ca"}), Addr("ec@example.org"),
                          std::chrono::system_clock::now(), kEnc);
  EXPECT_EQ(other.verdict, Verdict::kDoesNotChain) << other.detail;

  // Debian's bundle does not know the test CA either.
  auto debian = TrustAnchors::LoadBundle(kDebianCaBundlePath);
  ASSERT_THAT(debian.status(), IsOk());
  EXPECT_GT(debian->size(), 50u);
  EXPECT_EQ(ValidateCertificate(Load("ec"), *debian, Addr("ec@example.org"),
                                std::chrono::system_clock::now(), kEnc)
                .verdict,
            Verdict::kDoesNotChain);
}

TEST_F(CertificateValidationTest, ChainsThroughTheIntermediateTheContactSent) {
  // issuer is not an anchor; an administrator's anchor may be an intermediate (partial chain).
  CertificateChain chain = Load("via-intermediate");
  const Validation alone = ValidateCertificate(chain, Anchors({"ca"}), Addr("via@example.org"),
                                               std::chrono::system_clock::now(), kEnc);
  EXPECT_EQ(alone.verdict, Verdict::kDoesNotChain);
  const Validation anchored = ValidateCertificate(
      chain, Anchors({"issuer"}), Addr("via@example.org"), std::chrono::system_clock::now(), kEnc);
  EXPECT_EQ(anchored.verdict, Verdict::kTrusted) << anchored.detail;
  // Combined with the debian bundle and extra anchors.
  const std::string issuer = pki_->ReadFile("issuer.pem");
  const std::vector<std::string_view> extra = {issuer};
  auto both = TrustAnchors::LoadBundle(kDebianCaBundlePath, extra);
  ASSERT_THAT(both.status(), IsOk());
  EXPECT_EQ(ValidateCertificate(chain, *both, Addr("via@example.org"),
                                std::chrono::system_clock::now(), kEnc)
                .verdict,
            Verdict::kTrusted);
}

TEST_F(CertificateValidationTest, RefusesOutsideTheValidityPeriod) {
  const CertificateChain ec = Load("ec");
  const Validation expired =
      Validate("ec", "ec@example.org", ec.leaf.not_after() + std::chrono::seconds(1));
  EXPECT_EQ(expired.verdict, Verdict::kRefused);
  EXPECT_EQ(expired.problem, CertificateProblem::kExpired) << expired.detail;
  const Validation early =
      Validate("ec", "ec@example.org", ec.leaf.not_before() - std::chrono::seconds(1));
  EXPECT_EQ(early.problem, CertificateProblem::kNotYetValid) << early.detail;
  // Just inside the edges (OpenSSL counts the notAfter second itself as expired).
  EXPECT_EQ(Validate("ec", "ec@example.org", ec.leaf.not_after() - std::chrono::seconds(1)).verdict,
            Verdict::kTrusted);
  EXPECT_EQ(Validate("ec", "ec@example.org", ec.leaf.not_before()).verdict, Verdict::kTrusted);
  // A self-signed certificate is refused for time too, not merely "does not chain".
  const CertificateChain self = Load("self");
  EXPECT_EQ(ValidateCertificate(self, Anchors({"ca"}), Addr("self@example.org"),
                                self.leaf.not_after() + hours(24), kEnc)
                .problem,
            CertificateProblem::kExpired);
}

TEST_F(CertificateValidationTest, RefusesWithoutEmailProtection) {
  const Validation v = Validate("tls", "tls@example.org");
  EXPECT_EQ(v.verdict, Verdict::kRefused);
  EXPECT_EQ(v.problem, CertificateProblem::kNoEmailProtection) << v.detail;
}

TEST_F(CertificateValidationTest, RefusesAKeyUsageThatDoesNotAllowTheUse) {
  // Signing-only certificates (many organisations issue one for each use) take no encryption;
  // encryption-only ones sign nothing.
  const auto now = std::chrono::system_clock::now();
  for (const std::string name : {"sign-only-rsa", "sign-only-ec"}) {
    const Validation enc =
        ValidateCertificate(Load(name), Anchors({"ca"}), Addr("so@example.org"), now, kEnc);
    EXPECT_EQ(enc.verdict, Verdict::kRefused) << name;
    EXPECT_EQ(enc.problem, CertificateProblem::kWrongKeyUsage) << name << ": " << enc.detail;
    EXPECT_EQ(ValidateCertificate(Load(name), Anchors({"ca"}), Addr("so@example.org"), now,
                                  CertificateUse::kSignature)
                  .verdict,
              Verdict::kTrusted)
        << name;
  }
  EXPECT_EQ(ValidateCertificate(Load("rsa-enc-only"), Anchors({"ca"}), Addr("eo@example.org"), now,
                                CertificateUse::kSignature)
                .problem,
            CertificateProblem::kWrongKeyUsage);
  // An EC key cannot do key transport: keyEncipherment alone does not make it a recipient.
  EXPECT_EQ(
      ValidateCertificate(Load("ec-keyenc"), Anchors({"ca"}), Addr("ke@example.org"), now, kEnc)
          .problem,
      CertificateProblem::kWrongKeyUsage);
}

TEST_F(CertificateValidationTest, RefusesAnotherAddress) {
  const Validation v = Validate("ec", "mallory@example.org");
  EXPECT_EQ(v.verdict, Verdict::kRefused);
  EXPECT_EQ(v.problem, CertificateProblem::kAddressMismatch) << v.detail;
  EXPECT_EQ(Validate("rsa", "ec@example.org").problem, CertificateProblem::kAddressMismatch);
}

TEST_F(CertificateValidationTest, RefusesWeakKeys) {
  const Validation rsa = Validate("rsa1024", "weak@example.org");
  EXPECT_EQ(rsa.verdict, Verdict::kRefused);
  EXPECT_EQ(rsa.problem, CertificateProblem::kWeakKey) << rsa.detail;
  EXPECT_EQ(Validate("p521", "p521@example.org").problem, CertificateProblem::kWeakKey);
}

TEST_F(CertificateValidationTest, RefusesWeakSignatures) {
  const Validation v = Validate("sha1", "sha1@example.org");
  EXPECT_EQ(v.verdict, Verdict::kRefused);
  EXPECT_EQ(v.problem, CertificateProblem::kWeakSignature) << v.detail;
}

TEST_F(CertificateValidationTest, RefusesABrokenIssuerSignature) {
  // The leaf's signature bytes altered: it names the anchor as issuer but the anchor did not
  // sign it.
  CertificateChain ec = Load("ec");
  Bytes der = ec.leaf.der();
  der[der.size() - 5] ^= 0x01;
  auto forged = Certificate::FromDer(der);
  ASSERT_THAT(forged.status(), IsOk());
  const Validation v = ValidateCertificate({*forged, {}}, Anchors({"ca"}), Addr("ec@example.org"),
                                           std::chrono::system_clock::now(), kEnc);
  EXPECT_EQ(v.verdict, Verdict::kRefused);
  EXPECT_EQ(v.problem, CertificateProblem::kInvalidChain) << v.detail;
}

TEST_F(CertificateValidationTest, PreparedOnceAnswersAsTheWholeValidationForEveryAddress) {
  // A send checks a certificate once and asks for each recipient's address: the answer must be
  // ValidateCertificate's, whichever check decides (the address check keeps its place: a
  // certificate refused before it stays refused for the wrong address, one refused after it —
  // here by its path — is address-mismatch for another address).
  const auto now = std::chrono::system_clock::now();
  const CertificateChain ec = Load("ec");
  CertificateChain forged = ec;
  Bytes der = ec.leaf.der();
  der[der.size() - 5] ^= 0x01;
  forged.leaf = *Certificate::FromDer(der);
  struct Case {
    std::string label;
    CertificateChain chain;
    std::vector<std::string> anchors;
    TimePoint at;
  };
  const std::vector<Case> cases = {
      {"trusted", ec, {"ca"}, now},
      {"does not chain", ec, {"other-ca"}, now},
      {"self-signed", Load("self"), {"ca"}, now},
      {"intermediate", Load("via-intermediate"), {"issuer"}, now},
      {"expired", ec, {"ca"}, ec.leaf.not_after() + std::chrono::seconds(1)},
      {"not yet valid", ec, {"ca"}, ec.leaf.not_before() - std::chrono::seconds(1)},
      {"no emailProtection", Load("tls"), {"ca"}, now},
      {"weak key", Load("rsa1024"), {"ca"}, now},
      {"weak signature", Load("sha1"), {"ca"}, now},
      {"broken signature", forged, {"ca"}, now},
  };
  const std::vector<std::string> addresses = {
      "ec@example.org",   "self@example.org", "via@example.org",    "tls@example.org",
      "weak@example.org", "sha1@example.org", "mallory@example.org"};
  for (const Case& c : cases) {
    const TrustAnchors anchors = Anchors(c.anchors);
    const uint64_t before = CertificatePathValidations();
    const PreparedValidation prepared = PrepareValidation(c.chain, anchors, c.at, kEnc);
    const uint64_t prepared_paths = CertificatePathValidations() - before;
    EXPECT_LE(prepared_paths, 1u) << c.label;
    for (const std::string& text : addresses) {
      const Validation whole = ValidateCertificate(c.chain, anchors, Addr(text), c.at, kEnc);
      const uint64_t asked = CertificatePathValidations();
      const Validation part = ValidateForAddress(prepared, Addr(text));
      EXPECT_EQ(CertificatePathValidations(), asked) << "no path check per address";
      EXPECT_EQ(part.verdict, whole.verdict) << c.label << " for " << text;
      EXPECT_EQ(part.problem, whole.problem) << c.label << " for " << text;
      EXPECT_EQ(part.detail, whole.detail) << c.label << " for " << text;
      ASSERT_EQ(part.path.size(), whole.path.size()) << c.label << " for " << text;
      for (size_t i = 0; i < part.path.size(); ++i) EXPECT_EQ(part.path[i], whole.path[i]);
    }
  }
  // The cases cover each kind of answer.
  EXPECT_EQ(
      ValidateForAddress(PrepareValidation(ec, Anchors({"ca"}), now, kEnc), Addr("ec@example.org"))
          .verdict,
      Verdict::kTrusted);
  EXPECT_EQ(ValidateForAddress(PrepareValidation(ec, Anchors({"ca"}), now, kEnc),
                               Addr("mallory@example.org"))
                .problem,
            CertificateProblem::kAddressMismatch);
  EXPECT_EQ(ValidateForAddress(PrepareValidation(forged, Anchors({"ca"}), now, kEnc),
                               Addr("mallory@example.org"))
                .problem,
            CertificateProblem::kAddressMismatch);
  EXPECT_EQ(ValidateForAddress(PrepareValidation(forged, Anchors({"ca"}), now, kEnc),
                               Addr("ec@example.org"))
                .problem,
            CertificateProblem::kInvalidChain);
}

TEST(TrustAnchorsTest, RefusesBadAnchorTexts) {
  const std::vector<std::string_view> none = {"no certificate here"};
  EXPECT_THAT(TrustAnchors::FromPem(none).status(), StatusIs(ErrorCode::kInvalidArgument));
  const std::vector<std::string_view> key = {
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"};
  EXPECT_THAT(TrustAnchors::FromPem(key).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(TrustAnchors::LoadBundle("/nonexistent/ca.crt").status(),
              StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::smime
