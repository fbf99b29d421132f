#include "smime/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "crypto/security_policy.h"
#include "smime/testing/test_pki.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::smime {
namespace {

using ::testing::HasSubstr;

// One PKI for the whole suite (RSA-3072 key generation is slow): a CA, an RSA-3072 and a P-256
// leaf with emailProtection and a SAN address.
class CertificateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    pki_ = new testing::TestPki(dir_->path());
    ASSERT_TRUE(pki_->MakeCa("ca"));
    ASSERT_TRUE(pki_->MakeLeaf("rsa", "ca", {.key = "rsa:3072", .email = "Rsa@Example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("ec", "ca", {.key = "ec:P-256", .email = "ec@example.org"}));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  static CertificateImport Import(const std::string& bytes) {
    return ImportCertificates(AsBytes(bytes));
  }
  static std::string Der(const std::string& name) {
    EXPECT_TRUE(
        pki_->OpensslOk({"x509", "-in", name + ".pem", "-outform", "DER", "-out", name + ".der"}));
    return pki_->ReadFile(name + ".der");
  }
  // The fingerprint as openssl prints it, lower-case hex without colons.
  static std::string OpensslFingerprint(const std::string& name) {
    const auto r =
        pki_->Openssl({"x509", "-in", name + ".pem", "-noout", "-fingerprint", "-sha256"});
    std::string hex;
    for (const char c : r.out.substr(r.out.find('=') + 1)) {
      if (std::isxdigit(static_cast<unsigned char>(c))) hex += static_cast<char>(std::tolower(c));
    }
    return hex;
  }

  static inline testutil::TempDir* dir_ = nullptr;
  static inline testing::TestPki* pki_ = nullptr;
};

TEST_F(CertificateTest, ReadsAPemCertificate) {
  const CertificateImport got = Import(pki_->ReadFile("rsa.pem"));
  ASSERT_TRUE(got.ok()) << got.detail;
  const Certificate& leaf = got.certificates->leaf;
  EXPECT_EQ(leaf.FingerprintHex(), OpensslFingerprint("rsa"));
  EXPECT_EQ(leaf.subject(), "CN=rsa");
  EXPECT_EQ(leaf.issuer(), "CN=ca");
  ASSERT_EQ(leaf.email_addresses().size(), 1u);
  EXPECT_EQ(leaf.email_addresses()[0].str(), "rsa@example.org");  // lower-cased
  EXPECT_EQ(leaf.key(), (PublicKeyInfo{KeyType::kRsa, 3072, ""}));
  EXPECT_FALSE(leaf.is_ca());
  const auto validity = leaf.not_after() - leaf.not_before();
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::hours>(validity).count(), 365 * 24);
  const auto age = std::chrono::system_clock::now() - leaf.not_before();
  EXPECT_LT(std::chrono::abs(age), std::chrono::hours(1));
  EXPECT_TRUE(got.certificates->chain.empty());
}

// A certificate naming many addresses (the subject's emailAddress and 300 subjectAltName
// rfc822Names, some twice, in other case): each address once, the subject's first, then the
// subjectAltName's in their order; the same set as openssl's own -email lists (X509_get1_email,
// which the reading replaced: it sorted its list again for every address it added).
TEST_F(CertificateTest, ListsEveryAddressOnce) {
  testing::LeafSpec spec;
  spec.subject = "/CN=many/emailAddress=First@Example.org";
  spec.email = "first@example.org";
  std::vector<std::string> expected = {"first@example.org"};
  for (int i = 0; i < 300; ++i) {
    expected.push_back(fmt::format("a{:04}@partner.example", i));
    spec.email += ",email:" + expected.back();
  }
  spec.email += ",email:A0007@Partner.example,email:a0100@partner.example";
  ASSERT_TRUE(pki_->MakeLeaf("many", "ca", spec));
  const CertificateImport got = Import(pki_->ReadFile("many.pem"));
  ASSERT_TRUE(got.ok()) << got.detail;
  std::vector<std::string> ours;
  for (const EmailAddress& a : got.certificates->leaf.email_addresses()) ours.push_back(a.str());
  EXPECT_EQ(ours, expected);
  const auto listed = pki_->Openssl({"x509", "-in", "many.pem", "-noout", "-email"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output();
  std::set<std::string> theirs;
  std::string line;
  for (const char c : listed.out) {
    if (c != '\n') {
      line += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!line.empty()) {
      theirs.insert(std::exchange(line, ""));
    }
  }
  EXPECT_EQ(std::set<std::string>(ours.begin(), ours.end()), theirs);
}

TEST_F(CertificateTest, ReadsADerCertificateAndAnEcKey) {
  const std::string der = Der("ec");
  const CertificateImport got = Import(der);
  ASSERT_TRUE(got.ok()) << got.detail;
  EXPECT_EQ(got.certificates->leaf.FingerprintHex(), OpensslFingerprint("ec"));
  EXPECT_EQ(got.certificates->leaf.key(), (PublicKeyInfo{KeyType::kEc, 256, "prime256v1"}));
  EXPECT_EQ(got.certificates->leaf.der(), Bytes(der.begin(), der.end()));
  auto direct = Certificate::FromDer(AsBytes(der));
  ASSERT_THAT(direct.status(), IsOk());
  EXPECT_TRUE(*direct == got.certificates->leaf);
}

TEST_F(CertificateTest, ReadsAP7bBundleAndPicksTheLeaf) {
  // CA first, leaf second: the leaf is found by its place in the chain, not its position.
  ASSERT_TRUE(pki_->OpensslOk({"crl2pkcs7", "-nocrl", "-certfile", "ca.pem", "-certfile", "ec.pem",
                               "-outform", "DER", "-out", "bundle.p7b"}));
  const CertificateImport der = Import(pki_->ReadFile("bundle.p7b"));
  ASSERT_TRUE(der.ok()) << der.detail;
  EXPECT_EQ(der.certificates->leaf.subject(), "CN=ec");
  ASSERT_EQ(der.certificates->chain.size(), 1u);
  EXPECT_EQ(der.certificates->chain[0].subject(), "CN=ca");

  ASSERT_TRUE(pki_->OpensslOk({"crl2pkcs7", "-nocrl", "-certfile", "ca.pem", "-certfile", "ec.pem",
                               "-out", "bundle.p7b.pem"}));
  const CertificateImport pem = Import(pki_->ReadFile("bundle.p7b.pem"));
  ASSERT_TRUE(pem.ok()) << pem.detail;
  EXPECT_EQ(pem.certificates->leaf.subject(), "CN=ec");
}

TEST_F(CertificateTest, ReadsTheCertificatesOfASignature) {
  pki_->WriteFile("hello.txt", "hello\r\n");
  ASSERT_TRUE(
      pki_->OpensslOk({"cms", "-sign", "-in", "hello.txt", "-signer", "rsa.pem", "-inkey",
                       "rsa.key", "-certfile", "ca.pem", "-outform", "DER", "-out", "hello.p7s"}));
  const CertificateImport got = Import(pki_->ReadFile("hello.p7s"));
  ASSERT_TRUE(got.ok()) << got.detail;
  EXPECT_EQ(got.certificates->leaf.subject(), "CN=rsa");
  ASSERT_EQ(got.certificates->chain.size(), 1u);
  EXPECT_EQ(got.certificates->chain[0].subject(), "CN=ca");
}

TEST_F(CertificateTest, ReadsPemWithTextAroundAndRemovesDuplicates) {
  const std::string cert = pki_->ReadFile("ec.pem");
  const CertificateImport got =
      Import("Subject: CN=ec\n" + cert + "\n" + cert + pki_->ReadFile("ca.pem") + "trailer\n");
  ASSERT_TRUE(got.ok()) << got.detail;
  EXPECT_EQ(got.certificates->leaf.subject(), "CN=ec");
  ASSERT_EQ(got.certificates->chain.size(), 1u);
}

TEST_F(CertificateTest, ReadsPemAfterTextThatLooksLikeDer) {
  // `openssl s_client -showcerts` output starts with "0 s:/CN=…", and '0' is DER's SEQUENCE tag.
  const CertificateImport got = Import("0 s:CN = ec\n" + pki_->ReadFile("ec.pem"));
  ASSERT_TRUE(got.ok()) << got.detail;
  EXPECT_EQ(got.certificates->leaf.subject(), "CN=ec");
}

TEST_F(CertificateTest, SubjectsAreValidUtf8WithControlsEscaped) {
  ASSERT_TRUE(pki_->MakeLeaf("utf8", "ca",
                             {.email = "z@example.org", .subject = "/CN=Zoë Müller/O=Bank\\, AG"}));
  const CertificateImport got = Import(pki_->ReadFile("utf8.pem"));
  ASSERT_TRUE(got.ok()) << got.detail;
  EXPECT_EQ(got.certificates->leaf.subject(), "O=Bank\\, AG,CN=Zoë Müller");
}

TEST_F(CertificateTest, RefusesGarbage) {
  for (const std::string& input :
       {std::string(), std::string("hello world"), std::string("\x30\x03\x02\x01\x05", 5),
        std::string("-----BEGIN CERTIFICATE-----\nnot*base64*at*all\n-----END CERTIFICATE-----\n"),
        std::string("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n"),
        std::string("-----BEGIN PUBLIC KEY-----\naGVsbG8=\n-----END PUBLIC KEY-----\n")}) {
    const CertificateImport got = Import(input);
    EXPECT_EQ(got.problem, CertificateProblem::kNotACertificate) << input;
    EXPECT_FALSE(got.certificates.has_value());
    EXPECT_FALSE(got.detail.empty());
    EXPECT_THAT(got.ToStatus(), StatusIs(ErrorCode::kInvalidArgument));
  }
}

TEST_F(CertificateTest, RefusalsQuoteNoControlCharactersOfTheInput) {
  const CertificateImport got = Import(
      "-----BEGIN CERTIFICATE\x1b[2J-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE\x1b[2J-----\n");
  EXPECT_FALSE(got.ok());
  EXPECT_EQ(got.detail.find('\x1b'), std::string::npos) << got.detail;
}

TEST_F(CertificateTest, RefusesTruncatedPem) {
  const std::string pem = pki_->ReadFile("rsa.pem");
  // Cut inside the base64, and just before the END line: neither imports what it has.
  for (const size_t keep : {pem.size() / 2, pem.find("-----END")}) {
    const CertificateImport got = Import(pem.substr(0, keep));
    EXPECT_EQ(got.problem, CertificateProblem::kNotACertificate) << keep;
    EXPECT_THAT(got.detail, HasSubstr("PEM block 1"));
  }
  // A good certificate followed by a truncated one: refused as a whole.
  const CertificateImport two = Import(pki_->ReadFile("ca.pem") + pem.substr(0, pem.size() / 2));
  EXPECT_EQ(two.problem, CertificateProblem::kNotACertificate);
  EXPECT_THAT(two.detail, HasSubstr("PEM block 2"));
}

TEST_F(CertificateTest, RefusesDerWithATrailingByte) {
  const std::string der = Der("ec");
  ASSERT_TRUE(Import(der).ok());
  const CertificateImport got = Import(der + '\0');
  EXPECT_EQ(got.problem, CertificateProblem::kNotACertificate);
  EXPECT_THAT(got.detail, HasSubstr("1 bytes after the certificate"));
  EXPECT_FALSE(Certificate::FromDer(AsBytes(der + 'x')).ok());
  // And a DER certificate cut short.
  EXPECT_EQ(Import(der.substr(0, der.size() - 1)).problem, CertificateProblem::kNotACertificate);
}

TEST_F(CertificateTest, RefusesTooLargeInput) {
  // A 5 MB "certificate": refused by its size before any parsing.
  std::string huge = pki_->ReadFile("ec.pem");
  huge.resize(5 * 1000 * 1000, 'A');
  const CertificateImport got = Import(huge);
  EXPECT_EQ(got.problem, CertificateProblem::kTooLarge);
  EXPECT_THAT(got.ToStatus(), StatusIs(ErrorCode::kTooLarge));
  // Just over the limit, too.
  std::string over(crypto::policy::kImport.max_certificate_bytes + 1, '\n');
  over.replace(0, pki_->ReadFile("ec.pem").size(), pki_->ReadFile("ec.pem"));
  EXPECT_EQ(Import(over).problem, CertificateProblem::kTooLarge);
}

TEST_F(CertificateTest, RefusesTooManyCertificates) {
  const std::string cert = pki_->ReadFile("ec.pem");
  std::string at_limit;
  for (size_t i = 0; i < crypto::policy::kImport.max_certificates_in_bundle; ++i) at_limit += cert;
  const CertificateImport ok = Import(at_limit);
  ASSERT_TRUE(ok.ok()) << ok.detail;  // the same certificate, once
  EXPECT_TRUE(ok.certificates->chain.empty());
  EXPECT_EQ(Import(at_limit + cert).problem, CertificateProblem::kTooLarge);
}

TEST_F(CertificateTest, RefusesPrivateKeyMaterialWithoutKeepingIt) {
  const std::string key = pki_->ReadFile("ec.key");
  ASSERT_THAT(key, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  for (const std::string& input :
       {pki_->ReadFile("ec.pem") + key, key + pki_->ReadFile("ec.pem"), key,
        std::string("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n") +
            pki_->ReadFile("ec.pem")}) {
    const CertificateImport got = Import(input);
    EXPECT_EQ(got.problem, CertificateProblem::kPrivateKeyMaterial);
    EXPECT_FALSE(got.certificates.has_value());
    EXPECT_EQ(got.detail.find("BEGIN"), std::string::npos);  // nothing of the key echoed
  }
}

TEST(CertificateProblemSlugTest, NamesEveryProblem) {
  EXPECT_EQ(CertificateProblemSlug(CertificateProblem::kNone), "");
  EXPECT_EQ(CertificateProblemSlug(CertificateProblem::kPrivateKeyMaterial),
            "private-key-material");
  EXPECT_EQ(CertificateProblemSlug(CertificateProblem::kNoEmailProtection), "no-email-protection");
  EXPECT_EQ(CertificateProblemSlug(CertificateProblem::kWeakSignature), "weak-signature");
}

}  // namespace
}  // namespace sealpost::smime
