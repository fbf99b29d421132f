#include "crypto/security_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sealpost::crypto::policy {
namespace {

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The floors that the threat model promises; lowering one must be a deliberate edit here too.
TEST(SecurityPolicy, SmimeRefusesWeakChoices) {
  EXPECT_GE(kSmime.min_rsa_bits, 2048);
  EXPECT_FALSE(Contains(kSmime.digests, "SHA1"));
  EXPECT_FALSE(Contains(kSmime.digests, "MD5"));
  EXPECT_TRUE(Contains(kSmime.digests, kSmime.sign_digest));
  EXPECT_TRUE(kSmime.rsa_oaep);
  EXPECT_EQ(kSmime.preferred_cipher, "AES-256-GCM");
  EXPECT_EQ(kSmime.fallback_cipher, "AES-256-CBC");
  // Unknown recipients get CBC (inside which the signature gives integrity) until they announce
  // GCM; turning GCM on for them is a deliberate edit here too.
  EXPECT_FALSE(kSmime.gcm_when_capabilities_unknown);
}

// The MIME parser's bounds: below what a hostile message needs to hurt, above real mail.
TEST(SecurityPolicy, MimeParseLimitsStayBounded) {
  EXPECT_LE(kMimeParse.max_message_bytes, size_t{256} << 20);
  EXPECT_GE(kMimeParse.max_message_bytes, size_t{25} << 20);
  EXPECT_LE(kMimeParse.max_depth, 64u);  // GMime descends recursively
  EXPECT_GE(kMimeParse.max_depth, 10u);
  EXPECT_LE(kMimeParse.max_parts, 10000u);
  EXPECT_GT(kMimeParse.max_parts, 100u);               // a web UI message has up to 100 attachments
  EXPECT_GE(kMimeParse.max_header_field_bytes, 998u);  // RFC 5322 line limit
  // Streamed: a 100 MiB attachment, base64'd, fits; a body read into memory stays small.
  EXPECT_GE(kMimeParse.max_streamed_message_bytes, uint64_t{150} << 20);
  EXPECT_GE(kMimeParse.max_streamed_message_bytes, kMimeParse.max_message_bytes);
  EXPECT_LE(kMimeParse.max_streamed_body_bytes, kMimeParse.max_message_bytes);
}

TEST(SecurityPolicy, SecureCopyStaysReadableBySealpostsOwnParser) {
  // The payload of a secure copy is parsed again by the reader (and by ours, inbound).
  EXPECT_LE(kSecureCopy.max_payload_bytes, kMimeParse.max_message_bytes);
  // Two base64 layers (signed-data part, envelope part) around the payload must fit.
  EXPECT_GE(kSecureCopy.max_message_bytes, kSecureCopy.max_payload_bytes / 3 * 4 / 3 * 4);
  EXPECT_LT(kSecureCopy.max_attachments, kMimeParse.max_parts);
}

TEST(SecurityPolicy, OpenPgpRefusesDsaAndElgamal) {
  EXPECT_GE(kOpenPgp.min_rsa_bits, 2048);
  EXPECT_FALSE(Contains(kOpenPgp.public_key_algorithms, "DSA"));
  EXPECT_FALSE(Contains(kOpenPgp.public_key_algorithms, "ELGAMAL"));
  EXPECT_TRUE(Contains(kOpenPgp.curves, "Ed25519"));
  EXPECT_TRUE(Contains(kOpenPgp.curves, "Curve25519"));
  // Data signatures lost SHA-1 first; key signatures later (RNP's and GnuPG's order).
  EXPECT_LT(kOpenPgp.sha1_data_signature_cutoff, kOpenPgp.sha1_key_signature_cutoff);
}

TEST(SecurityPolicy, PlatformPkiAndTlsFloors) {
  EXPECT_TRUE(Contains(kSmime.curves, kPki.key_curve));
  EXPECT_TRUE(Contains(kSmime.digests, kPki.digest));
  EXPECT_LT(kPki.leaf_validity_days, kPki.issuing_validity_days);
  EXPECT_LT(kPki.issuing_validity_days, kPki.root_validity_days);
  EXPECT_EQ(kTls.min_version, 0x0303);  // TLS 1.2
  EXPECT_EQ(kTls.tls12_cipher_list.find("CBC"), std::string_view::npos);
}

TEST(SecurityPolicy, TsaAcceptsOnlySha2Imprints) {
  EXPECT_FALSE(Contains(kTsa.imprint_digests, "SHA1"));
  EXPECT_FALSE(Contains(kTsa.imprint_digests, "MD5"));
  EXPECT_TRUE(Contains(kTsa.imprint_digests, "SHA256"));
  EXPECT_TRUE(Contains(kSmime.digests, kTsa.sign_digest));
  EXPECT_EQ(kTsa.max_query_bytes, size_t{64} * 1024);
}

TEST(SecurityPolicy, ImportLimitsAreBounded) {
  EXPECT_LT(kImport.max_certificate_bytes, size_t{5} * 1024 * 1024);  // a 5 MB "certificate"
  EXPECT_LT(kImport.max_openpgp_user_ids, size_t{100000});
  EXPECT_GT(kImport.max_openpgp_key_bytes, size_t{0});
}

}  // namespace
}  // namespace sealpost::crypto::policy
