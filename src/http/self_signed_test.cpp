#include "http/self_signed.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::http {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

std::unique_ptr<X509, X509Free> ParseCertificate(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::unique_ptr<EVP_PKEY, PkeyFree> ParseKey(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<EVP_PKEY, PkeyFree>(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

TEST(SelfSignedTest, CertificateHasTheRequiredShape) {
  auto pair = GenerateSelfSignedCertificate("localhost", {"localhost", "mail.example.org"},
                                            {"127.0.0.1", "::1"}, 30);
  ASSERT_THAT(pair.status(), IsOk());
  EXPECT_THAT(std::string(pair->private_key_pem.view()), ::testing::HasSubstr("BEGIN PRIVATE KEY"));
  auto cert = ParseCertificate(pair->certificate_pem);
  ASSERT_NE(cert, nullptr);
  auto key = ParseKey(std::string(pair->private_key_pem.view()));
  ASSERT_NE(key, nullptr);

  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  char group[64] = {};
  size_t group_len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &group_len), 1);
  EXPECT_STREQ(group, "prime256v1");

  // Self-signed with SHA-256.
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  std::unique_ptr<EVP_PKEY, PkeyFree> pub(X509_get_pubkey(cert.get()));
  EXPECT_EQ(X509_verify(cert.get(), pub.get()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);

  // Names.
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "mail.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "example.org", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 0);

  // Extensions: leaf for TLS servers only.
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_NE(X509_get_extension_flags(cert.get()) & EXFLAG_BCONS, 0u);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);

  // Validity: already valid, and for about 30 days.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert.get())), 0);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
  EXPECT_TRUE(days == 29 || days == 30) << days;

  // Serial: positive, up to 128 bits, and not repeated.
  std::unique_ptr<BIGNUM, BnFree> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  EXPECT_FALSE(BN_is_negative(serial.get()));
  EXPECT_LE(BN_num_bits(serial.get()), 128);
  EXPECT_GT(BN_num_bits(serial.get()), 64);  // fails with probability 2^-64
  auto other = GenerateSelfSignedCertificate("localhost", {}, {}, 1);
  ASSERT_THAT(other.status(), IsOk());
  auto other_cert = ParseCertificate(other->certificate_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()),
                             X509_get0_serialNumber(other_cert.get())),
            0);
}

TEST(SelfSignedTest, RefusesBadInput) {
  EXPECT_THAT(GenerateSelfSignedCertificate("", {}, {}, 30).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GenerateSelfSignedCertificate("x", {}, {}, 0).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GenerateSelfSignedCertificate("x", {}, {}, 100000).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GenerateSelfSignedCertificate("x", {"a,DNS:evil.com"}, {}, 30).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GenerateSelfSignedCertificate("x", {"a..b"}, {}, 30).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GenerateSelfSignedCertificate("x", {}, {"300.1.1.1"}, 30).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GenerateSelfSignedCertificate("x", {"*.example.org"}, {}, 30).status(), IsOk());
}

}  // namespace
}  // namespace sealpost::http
