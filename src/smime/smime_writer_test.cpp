// Interop of SignAndEncrypt with an independent implementation (the openssl command line, in a
// temporary directory, with its own PKI), and of ReadSmime with what openssl writes.
#include "smime/smime_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.h"
#include "smime/certificate_capabilities.h"
#include "smime/certified_key.h"
#include "smime/internal/pkcs7_mime.h"
#include "smime/smime_reader.h"
#include "smime/testing/test_pki.h"
#include "smime/trust_anchors.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::smime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kSigningTime = 1796119200;  // 2026-12-01T10:00:00Z

// A 10 KiB inner entity with what canonicalisation would change: trailing spaces, a "From "
// line, a lone dot, 8-bit text. It must come back byte for byte.
std::string InnerEntity() {
  std::string out =
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "Grüezi Bob,   \r\n"
      "From here on the lines repeat.\r\n"
      ".\r\n";
  for (int i = 0; out.size() < 10 * 1024; ++i) {
    out += "Line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog.\r\n";
  }
  return out;
}

struct Case {
  std::string recipient;  // "rsa" (RSA-3072), "ec" (P-256) or "p384"
  bool gcm;               // recorded capabilities include AES-256-GCM
};
// gtest would otherwise print the struct's bytes, padding included.
void PrintTo(const Case& c, std::ostream* os) { *os << c.recipient << (c.gcm ? "/gcm" : "/cbc"); }

class SmimeWriterTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    pki_ = new testing::TestPki(dir_->path());
    ASSERT_TRUE(pki_->MakeCa("ca"));
    ASSERT_TRUE(pki_->MakeLeaf("sender", "ca", {.key = "ec:P-256", .email = "sender@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("rsa", "ca", {.key = "rsa:3072", .email = "rsa@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("ec", "ca", {.key = "ec:P-256", .email = "ec@example.org"}));
    ASSERT_TRUE(pki_->MakeLeaf("p384", "ca", {.key = "ec:P-384", .email = "p384@example.org"}));
    pki_->WriteFile("inner.eml", InnerEntity());
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  static Certificate Cert(const std::string& name) {
    const CertificateImport got = ImportCertificates(AsBytes(pki_->ReadFile(name + ".pem")));
    EXPECT_TRUE(got.ok()) << got.detail;
    return got.certificates->leaf;
  }
  static CertifiedKey Key(const std::string& name) {
    auto key =
        CertifiedKey::Create(Cert(name), {Cert("ca")},
                             crypto::SecretBytes::CopyOf(AsBytes(pki_->ReadFile(name + ".key"))));
    EXPECT_THAT(key.status(), IsOk());
    return std::move(*key);
  }
  static TrustAnchors Anchors() {
    const std::string ca = pki_->ReadFile("ca.pem");
    const std::vector<std::string_view> texts = {ca};
    return *TrustAnchors::FromPem(texts);
  }
  static TimePoint SigningTime() { return std::chrono::system_clock::from_time_t(kSigningTime); }

  static SmimeMessage Write(const Case& c) {
    const SmimeRecipient recipient{Cert(c.recipient),
                                   RecipientCapabilities{.aes256_gcm = c.gcm, .aes256_cbc = true}};
    const std::string inner = InnerEntity();
    auto message = SignAndEncrypt(AsBytes(inner), Key("sender"), recipient, SigningTime());
    EXPECT_THAT(message.status(), IsOk());
    return std::move(*message);
  }
  static Result<SmimeContent> Read(ByteView part, const std::string& recipient) {
    return ReadSmime(part, Key(recipient), Anchors(), *EmailAddress::Parse("sender@example.org"),
                     std::chrono::system_clock::now());
  }

  static inline testutil::TempDir* dir_ = nullptr;
  static inline testing::TestPki* pki_ = nullptr;
};

TEST_P(SmimeWriterTest, OpensslDecryptsAndVerifiesWhatWeWrite) {
  const Case c = GetParam();
  const SmimeMessage message = Write(c);
  EXPECT_EQ(message.envelope,
            c.gcm ? Envelope::kAuthEnvelopedAes256Gcm : Envelope::kEnvelopedAes256Cbc);
  const std::string part(message.mime_part.begin(), message.mime_part.end());
  EXPECT_THAT(part, HasSubstr(std::string("Content-Type: application/pkcs7-mime; smime-type=") +
                              (c.gcm ? "authEnveloped-data" : "enveloped-data") +
                              "; name=\"smime.p7m\"\r\n"));
  EXPECT_THAT(part, HasSubstr("Content-Transfer-Encoding: base64\r\n"));
  const std::string file = "msg-" + c.recipient + (c.gcm ? "-gcm" : "-cbc");
  pki_->WriteFile(file + ".eml", part);

  // The structure, as openssl reads it: envelope type, content cipher, key management.
  const auto printed = pki_->Openssl({"cms", "-cmsout", "-print", "-in", file + ".eml"});
  ASSERT_EQ(printed.exit_code, 0) << printed.output();
  EXPECT_THAT(printed.output(), HasSubstr(c.gcm ? "id-smime-ct-authEnvelopedData"
                                                : "contentType: pkcs7-envelopedData"));
  EXPECT_THAT(printed.output(), HasSubstr(c.gcm ? "aes-256-gcm" : "aes-256-cbc"));
  if (c.recipient == "rsa") {
    EXPECT_THAT(printed.output(), HasSubstr("rsaesOaep"));
    EXPECT_THAT(printed.output(), Not(HasSubstr("rsaEncryption")));  // never PKCS#1 v1.5
  } else {
    EXPECT_THAT(printed.output(), HasSubstr("dhSinglePass-stdDH-sha256kdf-scheme"));
    EXPECT_THAT(printed.output(), HasSubstr("id-aes256-wrap"));
  }

  // Decrypt with the recipient's key, then verify against the CA: the content is the inner
  // entity, byte for byte.
  const auto decrypted =
      pki_->Openssl({"cms", "-decrypt", "-in", file + ".eml", "-recip", c.recipient + ".pem",
                     "-inkey", c.recipient + ".key", "-binary", "-out", file + ".signed.eml"});
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.output();
  EXPECT_THAT(pki_->ReadFile(file + ".signed.eml"),
              HasSubstr("Content-Type: application/pkcs7-mime; smime-type=signed-data"));
  const auto verified = pki_->Openssl({"cms", "-verify", "-in", file + ".signed.eml", "-CAfile",
                                       "ca.pem", "-binary", "-out", file + ".content"});
  ASSERT_EQ(verified.exit_code, 0) << verified.output();
  EXPECT_THAT(verified.output(), HasSubstr("Verification successful"));
  EXPECT_EQ(pki_->ReadFile(file + ".content"), InnerEntity());

  // The signed attributes: SHA-256, our signing time, SMIMECapabilities with GCM and CBC; the
  // signer's chain is included.
  const auto signed_print =
      pki_->Openssl({"cms", "-cmsout", "-print", "-in", file + ".signed.eml"});
  ASSERT_EQ(signed_print.exit_code, 0) << signed_print.output();
  EXPECT_THAT(signed_print.output(), HasSubstr("algorithm: sha256"));
  EXPECT_THAT(signed_print.output(), HasSubstr("Dec  1 10:00:00 2026 GMT"));
  EXPECT_THAT(signed_print.output(), HasSubstr("S/MIME Capabilities"));
  EXPECT_THAT(signed_print.output(), HasSubstr("aes-256-gcm"));
  EXPECT_THAT(signed_print.output(), HasSubstr("subject: CN=ca"));
  EXPECT_THAT(signed_print.output(), Not(HasSubstr("des-ede3-cbc")));
}

TEST_P(SmimeWriterTest, OurReaderOpensWhatWeWrite) {
  const Case c = GetParam();
  const SmimeMessage message = Write(c);
  auto read = Read(message.mime_part, c.recipient);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->content.AsStringView(), InnerEntity());
  EXPECT_EQ(read->envelope, message.envelope);
  EXPECT_EQ(read->signer.leaf.subject(), "CN=sender");
  EXPECT_EQ(read->signer_validation.verdict, Verdict::kTrusted) << read->signer_validation.detail;
  // The other recipient's key does not open it.
  EXPECT_THAT(Read(message.mime_part, c.recipient == "rsa" ? "ec" : "rsa").status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST_P(SmimeWriterTest, AFlippedByteNeverYieldsOtherContent) {
  const Case c = GetParam();
  const SmimeMessage message = Write(c);
  auto outer = internal::UnwrapPkcs7Mime(message.mime_part);
  ASSERT_THAT(outer.status(), IsOk());
  const std::string_view type = SmimeTypeOf(message.envelope);
  auto read_flipped = [&](size_t pos) {
    Bytes der = outer->der;
    der[pos] ^= 0x01;
    return Read(internal::WrapPkcs7Mime(type, der), c.recipient);
  };
  // In the ciphertext (the bulk of the structure) and in its last byte (GCM's tag, or CBC's
  // padding block): refused, with no content.
  for (const size_t pos : {outer->der.size() / 2, outer->der.size() - 1}) {
    auto read = read_flipped(pos);
    EXPECT_THAT(read.status(), StatusIs(ErrorCode::kUnauthenticated)) << "byte " << pos;
  }
  // Anywhere (sampled; RSA decryption is slow): either refused, or — where the byte carries no
  // meaning OpenSSL checks — exactly the original content under a valid signature.
  const size_t stride = c.recipient == "rsa" ? 97 : c.recipient == "p384" ? 31 : 7;
  size_t refused = 0;
  for (size_t pos = 0; pos < outer->der.size(); pos += stride) {
    auto read = read_flipped(pos);
    if (!read.ok()) {
      ++refused;
      continue;
    }
    EXPECT_EQ(read->content.AsStringView(), InnerEntity()) << "byte " << pos;
    EXPECT_EQ(read->signer_validation.verdict, Verdict::kTrusted) << "byte " << pos;
  }
  EXPECT_GT(refused, outer->der.size() / stride * 9 / 10);
}

INSTANTIATE_TEST_SUITE_P(Recipients, SmimeWriterTest,
                         ::testing::Values(Case{"rsa", true}, Case{"rsa", false}, Case{"ec", true},
                                           Case{"ec", false}, Case{"p384", true}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.recipient + (info.param.gcm ? "Gcm" : "Cbc");
                         });

class SmimeReaderInteropTest : public SmimeWriterTest {};

TEST_F(SmimeReaderInteropTest, ReadsWhatOpensslWrites) {
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "sender.pem",
                               "-inkey", "sender.key", "-certfile", "ca.pem", "-nodetach",
                               "-binary", "-md", "sha256", "-out", "openssl-signed.eml"}));
  for (const auto& [cipher, recipient] : std::vector<std::pair<std::string, std::string>>{
           {"-aes-256-gcm", "ec"}, {"-aes-256-cbc", "rsa"}}) {
    std::vector<std::string> args = {"cms",
                                     "-encrypt",
                                     cipher,
                                     "-in",
                                     "openssl-signed.eml",
                                     "-binary",
                                     "-recip",
                                     recipient + ".pem",
                                     "-out",
                                     "openssl-enc.eml"};
    if (recipient == "rsa") {
      args.insert(args.end(), {"-keyopt", "rsa_padding_mode:oaep"});
    }
    ASSERT_TRUE(pki_->OpensslOk(args));
    const std::string part = pki_->ReadFile("openssl-enc.eml");
    auto read = Read(AsBytes(part), recipient);
    ASSERT_THAT(read.status(), IsOk()) << cipher;
    EXPECT_EQ(read->content.AsStringView(), InnerEntity());
    EXPECT_EQ(read->envelope, cipher == "-aes-256-gcm" ? Envelope::kAuthEnvelopedAes256Gcm
                                                       : Envelope::kEnvelopedAes256Cbc);
    EXPECT_EQ(read->signer_validation.verdict, Verdict::kTrusted);
  }
}

// Cuts the mac of a DER AuthEnvelopedData ContentInfo (as SignAndEncrypt writes it: lengths in
// two-byte long form, the 16-byte mac last) to `keep` bytes, fixing the three outer lengths.
Bytes CutMac(Bytes der, size_t keep) {
  const size_t cut = 16 - keep;
  EXPECT_EQ(der[0], 0x30);
  EXPECT_EQ(der[17], 0xa0);
  EXPECT_EQ(der[21], 0x30);
  for (const size_t at : {size_t{2}, size_t{19}, size_t{23}}) {
    EXPECT_EQ(der[at - 1], 0x82);
    const size_t len = (size_t{der[at]} << 8 | der[at + 1]) - cut;
    der[at] = static_cast<uint8_t>(len >> 8);
    der[at + 1] = static_cast<uint8_t>(len);
  }
  EXPECT_EQ(der[der.size() - 18], 0x04);  // OCTET STRING
  EXPECT_EQ(der[der.size() - 17], 0x10);  // of 16 bytes
  der[der.size() - 17] = static_cast<uint8_t>(keep);
  der.resize(der.size() - cut);
  return der;
}

TEST_F(SmimeReaderInteropTest, RefusesAGcmTagCutShort) {
  const SmimeMessage message = Write({"ec", true});
  auto outer = internal::UnwrapPkcs7Mime(message.mime_part);
  ASSERT_THAT(outer.status(), IsOk());
  // 12 bytes: the shortest tag RFC 5084 allows; the prefix of the real tag still verifies.
  const Bytes twelve = internal::WrapPkcs7Mime("authEnveloped-data", CutMac(outer->der, 12));
  auto read = Read(twelve, "ec");
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->content.AsStringView(), InnerEntity());
  // 4 bytes: OpenSSL alone accepts it (a forgery would need only 2^32 tries); we do not.
  const Bytes four = internal::WrapPkcs7Mime("authEnveloped-data", CutMac(outer->der, 4));
  pki_->WriteFile("short-tag.eml", std::string(four.begin(), four.end()));
  const auto openssl = pki_->Openssl({"cms", "-decrypt", "-in", "short-tag.eml", "-recip", "ec.pem",
                                      "-inkey", "ec.key", "-binary", "-out", "short-tag.out"});
  EXPECT_EQ(openssl.exit_code, 0) << "OpenSSL now refuses short tags itself: " << openssl.output();
  EXPECT_THAT(Read(four, "ec").status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(SmimeReaderInteropTest, ReportsTheSendersCapabilities) {
  auto ours = Read(Write({"ec", true}).mime_part, "ec");
  ASSERT_THAT(ours.status(), IsOk());
  ASSERT_TRUE(ours->sender_capabilities.has_value());
  EXPECT_TRUE(ours->sender_capabilities->aes256_gcm);
  EXPECT_TRUE(ours->sender_capabilities->aes256_cbc);
  // OpenSSL's own list (AES-256-CBC first, no GCM): recorded, it gets EnvelopedData.
  ASSERT_TRUE(
      pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "sender.pem", "-inkey",
                       "sender.key", "-nodetach", "-binary", "-out", "caps-signed.eml"}));
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-encrypt", "-aes-256-cbc", "-in", "caps-signed.eml",
                               "-binary", "-recip", "ec.pem", "-out", "caps-enc.eml"}));
  auto theirs = Read(AsBytes(pki_->ReadFile("caps-enc.eml")), "ec");
  ASSERT_THAT(theirs.status(), IsOk());
  ASSERT_TRUE(theirs->sender_capabilities.has_value());
  EXPECT_FALSE(theirs->sender_capabilities->aes256_gcm);
  EXPECT_TRUE(theirs->sender_capabilities->aes256_cbc);
  EXPECT_EQ(ChooseEnvelope(theirs->sender_capabilities), Envelope::kEnvelopedAes256Cbc);
  // Without the attribute: nothing recorded.
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "sender.pem",
                               "-inkey", "sender.key", "-nodetach", "-binary", "-nosmimecap",
                               "-out", "nocaps-signed.eml"}));
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-encrypt", "-aes-256-gcm", "-in", "nocaps-signed.eml",
                               "-binary", "-recip", "ec.pem", "-out", "nocaps-enc.eml"}));
  auto none = Read(AsBytes(pki_->ReadFile("nocaps-enc.eml")), "ec");
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_FALSE(none->sender_capabilities.has_value());
}

// What the key directory records when a contact's signed mail is imported (the SignerInfo's
// SMIMECapabilities): ours lists GCM, openssl's default list does not, -nosmimecap lists none.
TEST_F(SmimeReaderInteropTest, CapabilitiesOfASignedMailAreReadForItsSigner) {
  pki_->WriteFile("ours.eml", std::string(AsChars(Write({"ec", true}).mime_part)));
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-decrypt", "-in", "ours.eml", "-recip", "ec.pem", "-inkey",
                               "ec.key", "-binary", "-out", "ours-signed.eml"}));
  ASSERT_TRUE(pki_->OpensslOk(
      {"cms", "-cmsout", "-in", "ours-signed.eml", "-outform", "DER", "-out", "ours-signed.der"}));
  const std::string ours = pki_->ReadFile("ours-signed.der");
  const auto gcm = CapabilitiesInSignedData(AsBytes(ours), Cert("sender"));
  ASSERT_TRUE(gcm.has_value());
  EXPECT_TRUE(gcm->aes256_gcm);
  EXPECT_TRUE(gcm->aes256_cbc);
  // Only the signer's own SignerInfo counts.
  EXPECT_FALSE(CapabilitiesInSignedData(AsBytes(ours), Cert("ec")).has_value());

  ASSERT_TRUE(pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "rsa.pem", "-inkey",
                               "rsa.key", "-outform", "DER", "-out", "default.p7s"}));
  const auto cbc = CapabilitiesInSignedData(AsBytes(pki_->ReadFile("default.p7s")), Cert("rsa"));
  ASSERT_TRUE(cbc.has_value());
  EXPECT_FALSE(cbc->aes256_gcm);
  EXPECT_TRUE(cbc->aes256_cbc);
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "rsa.pem", "-inkey",
                               "rsa.key", "-nosmimecap", "-outform", "DER", "-out", "none.p7s"}));
  EXPECT_FALSE(
      CapabilitiesInSignedData(AsBytes(pki_->ReadFile("none.p7s")), Cert("rsa")).has_value());

  // Not SignedData, cut short, trailing bytes, garbage: nothing announced, no crash.
  EXPECT_FALSE(CapabilitiesInSignedData(Cert("rsa").der(), Cert("rsa")).has_value());
  const std::string der = pki_->ReadFile("default.p7s");
  EXPECT_FALSE(
      CapabilitiesInSignedData(AsBytes(der.substr(0, der.size() / 2)), Cert("rsa")).has_value());
  EXPECT_FALSE(CapabilitiesInSignedData(AsBytes(der + "x"), Cert("rsa")).has_value());
  EXPECT_FALSE(
      CapabilitiesInSignedData(AsBytes(std::string("\x30\x03\x02\x01")), Cert("rsa")).has_value());
  EXPECT_FALSE(CapabilitiesInSignedData({}, Cert("rsa")).has_value());
}

TEST_F(SmimeReaderInteropTest, RefusesCiphersOutsideThePolicy) {
  ASSERT_TRUE(
      pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "sender.pem", "-inkey",
                       "sender.key", "-nodetach", "-binary", "-out", "weak-signed.eml"}));
  for (const std::string cipher : {"-aes-128-cbc", "-des3", "-aes-128-gcm"}) {
    ASSERT_TRUE(pki_->OpensslOk({"cms", "-encrypt", cipher, "-in", "weak-signed.eml", "-binary",
                                 "-recip", "ec.pem", "-out", "weak-enc.eml"}));
    EXPECT_THAT(Read(AsBytes(pki_->ReadFile("weak-enc.eml")), "ec").status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << cipher;
  }
}

TEST_F(SmimeReaderInteropTest, RefusesSha1SignaturesAndNonSmimeParts) {
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-sign", "-in", "inner.eml", "-signer", "sender.pem",
                               "-inkey", "sender.key", "-nodetach", "-binary", "-md", "sha1",
                               "-out", "sha1-signed.eml"}));
  ASSERT_TRUE(pki_->OpensslOk({"cms", "-encrypt", "-aes-256-gcm", "-in", "sha1-signed.eml",
                               "-binary", "-recip", "ec.pem", "-out", "sha1-enc.eml"}));
  EXPECT_THAT(Read(AsBytes(pki_->ReadFile("sha1-enc.eml")), "ec").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(
      Read(AsBytes(std::string("Content-Type: text/plain\r\n\r\nhello\r\n")), "ec").status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(SmimeReaderInteropTest, AnUntrustedSignerIsReportedNotHidden) {
  const SmimeMessage message = Write({"ec", true});
  ASSERT_TRUE(pki_->MakeCa("stranger-ca"));
  const std::string stranger = pki_->ReadFile("stranger-ca.pem");
  const std::vector<std::string_view> texts = {stranger};
  auto anchors = TrustAnchors::FromPem(texts);
  ASSERT_THAT(anchors.status(), IsOk());
  auto read =
      ReadSmime(message.mime_part, Key("ec"), *anchors, *EmailAddress::Parse("sender@example.org"),
                std::chrono::system_clock::now());
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->signer_validation.verdict, Verdict::kDoesNotChain);
  // And a signer whose address is not the sender's: refused as address-mismatch.
  auto wrong =
      ReadSmime(message.mime_part, Key("ec"), Anchors(),
                *EmailAddress::Parse("someone@example.org"), std::chrono::system_clock::now());
  ASSERT_THAT(wrong.status(), IsOk());
  EXPECT_EQ(wrong->signer_validation.problem, CertificateProblem::kAddressMismatch);
}

TEST_F(SmimeReaderInteropTest, CertifiedKeyChecksTheKeyAgainstTheCertificate) {
  EXPECT_THAT(CertifiedKey::Create(Cert("ec"), {},
                                   crypto::SecretBytes::CopyOf(AsBytes(pki_->ReadFile("rsa.key"))))
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      CertifiedKey::Create(Cert("ec"), {}, crypto::SecretBytes::CopyOf(AsBytes("junk"))).status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ChooseEnvelopeTest, FollowsTheRecordedCapabilitiesAndThePolicy) {
  EXPECT_EQ(ChooseEnvelope(RecipientCapabilities{.aes256_gcm = true}),
            Envelope::kAuthEnvelopedAes256Gcm);
  EXPECT_EQ(ChooseEnvelope(RecipientCapabilities{.aes256_cbc = true}),
            Envelope::kEnvelopedAes256Cbc);
  EXPECT_EQ(ChooseEnvelope(std::nullopt), Envelope::kEnvelopedAes256Cbc);  // policy: not yet
}

}  // namespace
}  // namespace sealpost::smime
