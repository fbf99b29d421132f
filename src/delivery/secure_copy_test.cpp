// BuildSecureCopy against the readers recipients actually run: the openssl command line (an
// external CA made with `openssl req`/`openssl x509`, RSA-3072 and P-256 recipients), GnuPG and
// Sequoia (keys made by them), all in temporary directories; and against our own readers
// (smime::ReadSmime, pgp::DecryptAndVerify, mime::ParseDecrypted). The sender's keys come from
// the platform CA and pgp::GenerateMemberKey, as in production.
#include "delivery/secure_copy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "mime/header_protection.h"
#include "mime/message_parser.h"
#include "pgp/encryptor.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "pgp/testing/gnupg.h"
#include "smime/certificate_capabilities.h"
#include "smime/certified_key.h"
#include "smime/platform_ca.h"
#include "smime/smime_reader.h"
#include "smime/testing/test_pki.h"
#include "smime/trust_anchors.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::delivery {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ReadFileBytes;
using testutil::ToolResult;
using testutil::WriteFileBytes;

namespace policy = crypto::policy;

EmailAddress Addr(std::string_view text) { return EmailAddress::Parse(text).value(); }
TimePoint Now() { return std::chrono::system_clock::now(); }

constexpr char kSender[] = "alice@sealpost.example";
constexpr char kSubject[] = "Übernahme von Acme: streng vertraulich";
constexpr char kBccAddress[] = "ec@partner.example";  // the P-256 recipient, in Bcc

// The message as every To/Cc recipient sees it: the P-256 recipient is in Bcc, so its address
// must appear in no other copy.
mime::OutgoingMessage Message() {
  mime::OutgoingMessage m(mime::Mailbox{"Alice Example", Addr(kSender)});
  m.to = {{"Rosa", Addr("rsa@partner.example")},
          {"Gina", Addr("gina@partner.example")},
          {"", Addr("sam@partner.example")},
          {"Mia", Addr("mia@sealpost.example")}};
  m.cc = {{"Carol", Addr("carol@partner.example")}};
  m.subject = kSubject;
  m.date = Now();
  m.message_id = "copy1@sealpost.example";
  m.in_reply_to = "parent@partner.example";
  m.references = {"parent@partner.example"};
  m.text_body = "Der Preis steht fest: 42 Mio.\nGrüße\n";
  m.html_body = "<p>Der Preis steht fest: 42 Mio.</p>";
  m.attachments = {{"Angebot März.pdf", "application/pdf", std::string("%PDF-1.7\n\0\1\2", 13)}};
  return m;
}

mime::OutgoingMessage BccCopy() {
  mime::OutgoingMessage m = Message();
  m.bcc_self = mime::Mailbox{"Eve C", Addr(kBccAddress)};
  return m;
}

// The header section of a message (up to the first empty line).
std::string HeaderSection(const std::string& message) {
  return message.substr(0, message.find("\r\n\r\n") + 2);
}

// The encrypted part of an outer message: from its Content-Type field on.
std::string EncryptedPart(const std::string& message) {
  const size_t at = message.find("Content-Type:");
  return at == std::string::npos ? "" : message.substr(at);
}

std::string Armored(const std::string& message) {
  const size_t begin = message.find("-----BEGIN PGP MESSAGE-----");
  const std::string end = "-----END PGP MESSAGE-----";
  const size_t stop = message.find(end);
  if (begin == std::string::npos || stop == std::string::npos) return "";
  return message.substr(begin, stop + end.size() - begin) + "\n";
}

// Flips one bit of the character at `at` in a base64 text, keeping it a base64 character (so the
// decoded bytes change, not the decoding).
void FlipBase64(std::string& text, size_t at) {
  while (text[at] == '\r' || text[at] == '\n') ++at;
  text[at] = text[at] == 'A' ? 'B' : 'A';
}

class SecureCopyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    pki_ = new smime::testing::TestPki(dir_->path());
    gpg_ = new pgp::testing::GnuPg();

    // The sender: a member certificate from the platform CA, and a member OpenPGP key.
    const smime::CaNames names;
    auto root = smime::CreateRootCa(names, Now());
    ASSERT_THAT(root.status(), IsOk());
    auto issuing = smime::CreateIssuingCa(*root, names, Now());
    ASSERT_THAT(issuing.status(), IsOk());
    auto leaf = smime::IssueLeafWithNewKey(*issuing, names,
                                           {.profile = smime::LeafProfile::kMemberSmime,
                                            .common_name = "Alice Example",
                                            .email = Addr(kSender)},
                                           Now());
    ASSERT_THAT(leaf.status(), IsOk());
    auto pkcs8 = leaf->key.ExposePkcs8Der();
    ASSERT_THAT(pkcs8.status(), IsOk());
    auto signer = smime::CertifiedKey::Create(leaf->certificate, {issuing->certificate}, *pkcs8);
    ASSERT_THAT(signer.status(), IsOk());
    smime_signer_ = new smime::CertifiedKey(std::move(*signer));
    pki_->WriteFile("platform-root.pem", root->certificate.ToPem());
    root_pem_ = new std::string(root->certificate.ToPem());

    auto generated = pgp::GenerateMemberKey(Addr(kSender), Now());
    ASSERT_THAT(generated.status(), IsOk());
    auto member = pgp::MemberKey::Load(generated->secret_key);
    ASSERT_THAT(member.status(), IsOk());
    pgp_signer_ = member->release();
    WriteFileBytes(gpg_->Path("sender.asc"), generated->public_key_armored);
    ASSERT_EQ(gpg_->Gpg({"--import", "sender.asc"}).exit_code, 0);
    WriteFileBytes(gpg_->Path("sender.pgp"), AsChars(generated->public_key));

    // S/MIME recipients under an external CA made by openssl.
    ASSERT_TRUE(pki_->MakeCa("extca"));
    ASSERT_TRUE(
        pki_->MakeLeaf("rsa", "extca", {.key = "rsa:3072", .email = "rsa@partner.example"}));
    ASSERT_TRUE(pki_->MakeLeaf("ec", "extca", {.key = "ec:P-256", .email = kBccAddress}));

    // OpenPGP recipients: one key made by gpg, one by sq.
    const std::string fpr =
        gpg_->MakeKey("Gina <gina@partner.example>", "ed25519", "cert,sign", "cv25519");
    ASSERT_EQ(fpr.size(), 40u);
    pgp::KeyImport gina =
        pgp::ImportPublicKey(AsBytes(gpg_->Export(fpr)), Addr("gina@partner.example"), Now());
    ASSERT_TRUE(gina.ok()) << gina.status().ToString();
    gina_ = new pgp::ContactKey(std::move(gina).TakeKey());
    ToolResult made =
        gpg_->Sq({"key", "generate", "--userid", "<sam@partner.example>", "--export", "sam.key"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    made = gpg_->Sq({"key", "extract-cert", "--output", "sam.cert", "sam.key"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    pgp::KeyImport sam = pgp::ImportPublicKey(AsBytes(ReadFileBytes(gpg_->Path("sam.cert"))),
                                              Addr("sam@partner.example"), Now());
    ASSERT_TRUE(sam.ok()) << sam.status().ToString();
    sam_ = new pgp::ContactKey(std::move(sam).TakeKey());

    // A Sealpost member as an OpenPGP recipient, so that our own reader can open a copy.
    auto mia = pgp::GenerateMemberKey(Addr("mia@sealpost.example"), Now());
    ASSERT_THAT(mia.status(), IsOk());
    auto mia_key = pgp::MemberKey::Load(mia->secret_key);
    ASSERT_THAT(mia_key.status(), IsOk());
    mia_ = mia_key->release();
    pgp::KeyImport mia_contact =
        pgp::ImportPublicKey(mia->public_key, Addr("mia@sealpost.example"), Now());
    ASSERT_TRUE(mia_contact.ok());
    mia_contact_ = new pgp::ContactKey(std::move(mia_contact).TakeKey());
    pgp::KeyImport sender_contact =
        pgp::ImportPublicKey(generated->public_key, Addr(kSender), Now());
    ASSERT_TRUE(sender_contact.ok());
    sender_contact_ = new pgp::ContactKey(std::move(sender_contact).TakeKey());
  }
  static void TearDownTestSuite() {
    delete sender_contact_;
    delete mia_contact_;
    delete mia_;
    delete sam_;
    delete gina_;
    delete pgp_signer_;
    delete root_pem_;
    delete smime_signer_;
    delete gpg_;
    delete pki_;
    delete dir_;
  }

  static smime::Certificate Cert(const std::string& name) {
    const smime::CertificateImport got =
        smime::ImportCertificates(AsBytes(pki_->ReadFile(name + ".pem")));
    EXPECT_TRUE(got.ok()) << got.detail;
    return got.certificates->leaf;
  }
  static smime::CertifiedKey RecipientCertifiedKey(const std::string& name) {
    auto key = smime::CertifiedKey::Create(
        Cert(name), {Cert("extca")},
        crypto::SecretBytes::CopyOf(AsBytes(pki_->ReadFile(name + ".key"))));
    EXPECT_THAT(key.status(), IsOk());
    return std::move(*key);
  }
  static SenderKeys Sender() { return SenderKeys{smime_signer_, pgp_signer_}; }

  static delivery::RecipientKey Smime(const std::string& name, bool gcm) {
    return smime::SmimeRecipient{
        Cert(name), smime::RecipientCapabilities{.aes256_gcm = gcm, .aes256_cbc = true}};
  }

  static SecureCopy Build(const mime::OutgoingMessage& message, std::string_view recipient,
                          const delivery::RecipientKey& key) {
    auto copy = BuildSecureCopy(message, Addr(recipient), Sender(), key, Now());
    EXPECT_THAT(copy.status(), IsOk());
    return copy.ok() ? std::move(*copy) : SecureCopy{"", SecureMethod::kPgpMime, {}};
  }

  // openssl cms -decrypt, then -verify against the platform root: the signed content, or "" with
  // a test failure when `expect_ok`.
  static std::string OpensslOpen(const std::string& copy, const std::string& recipient,
                                 const std::string& file, bool expect_ok = true) {
    pki_->WriteFile(file + ".eml", copy);
    const ToolResult decrypted =
        pki_->Openssl({"cms", "-decrypt", "-in", file + ".eml", "-recip", recipient + ".pem",
                       "-inkey", recipient + ".key", "-binary", "-out", file + ".signed"});
    if (decrypted.exit_code != 0) {
      EXPECT_FALSE(expect_ok) << decrypted.output();
      return "";
    }
    const ToolResult verified =
        pki_->Openssl({"cms", "-verify", "-in", file + ".signed", "-CAfile", "platform-root.pem",
                       "-binary", "-out", file + ".content"});
    if (verified.exit_code != 0) {
      EXPECT_FALSE(expect_ok) << verified.output();
      return "";
    }
    EXPECT_THAT(verified.output(), HasSubstr("Verification successful"));
    return pki_->ReadFile(file + ".content");
  }

  // The outer message as a mail reader sees it, and the payload's own fields.
  static void ExpectOuterAndPayload(const std::string& copy, const std::string& payload) {
    auto outer = mime::ParseMessage(copy);
    ASSERT_THAT(outer.status(), IsOk());
    EXPECT_EQ(outer->subject, mime::kObscuredSubject);
    EXPECT_THAT(HeaderSection(copy), HasSubstr("\r\nSubject: [...]\r\n"));
    EXPECT_THAT(copy, Not(HasSubstr("bernahme")));
    // Threading fields are outside too, so that mail programs thread the copy.
    EXPECT_THAT(HeaderSection(copy), HasSubstr("\r\nIn-Reply-To: <parent@partner.example>\r\n"));
    EXPECT_EQ(outer->in_reply_to, "parent@partner.example");
    auto inner = mime::ParseDecrypted(copy, payload);
    ASSERT_THAT(inner.status(), IsOk());
    EXPECT_EQ(inner->header_protection, mime::HeaderProtection::kCipher);
    EXPECT_EQ(inner->subject, kSubject);
    EXPECT_THAT(inner->text_body, HasSubstr("Der Preis steht fest: 42 Mio."));
    EXPECT_EQ(inner->in_reply_to, "parent@partner.example");
    ASSERT_EQ(inner->attachments.size(), 1u);
    EXPECT_EQ(inner->attachments[0].filename, "Angebot März.pdf");
  }

  static inline testutil::TempDir* dir_ = nullptr;
  static inline smime::testing::TestPki* pki_ = nullptr;
  static inline pgp::testing::GnuPg* gpg_ = nullptr;
  static inline smime::CertifiedKey* smime_signer_ = nullptr;
  static inline std::string* root_pem_ = nullptr;
  static inline pgp::MemberKey* pgp_signer_ = nullptr;
  static inline pgp::ContactKey* gina_ = nullptr;
  static inline pgp::ContactKey* sam_ = nullptr;
  static inline pgp::MemberKey* mia_ = nullptr;
  static inline pgp::ContactKey* mia_contact_ = nullptr;
  static inline pgp::ContactKey* sender_contact_ = nullptr;
};

// --- S/MIME -------------------------------------------------------------------------------

struct SmimeCase {
  std::string name;  // "rsa" (RSA-3072) or "ec" (P-256, in Bcc)
  bool gcm;          // recorded capabilities list AES-256-GCM
};
// gtest would otherwise print the struct's bytes, padding included.
void PrintTo(const SmimeCase& c, std::ostream* os) { *os << c.name << (c.gcm ? "/gcm" : "/cbc"); }

class SecureCopySmimeTest : public SecureCopyTest, public ::testing::WithParamInterface<SmimeCase> {
 protected:
  static std::string Address(const SmimeCase& c) {
    return c.name == "rsa" ? "rsa@partner.example" : kBccAddress;
  }
  static mime::OutgoingMessage MessageFor(const SmimeCase& c) {
    return c.name == "rsa" ? Message() : BccCopy();
  }
};

TEST_P(SecureCopySmimeTest, OpensslDecryptsAndVerifiesAgainstThePlatformRoot) {
  const SmimeCase c = GetParam();
  const SecureCopy copy = Build(MessageFor(c), Address(c), Smime(c.name, c.gcm));
  EXPECT_EQ(copy.method, c.gcm ? SecureMethod::kSmimeAuthEnvelopedAes256Gcm
                               : SecureMethod::kSmimeEnvelopedAes256Cbc);
  EXPECT_THAT(HeaderSection(copy.message),
              HasSubstr(std::string("Content-Type: application/pkcs7-mime; smime-type=") +
                        (c.gcm ? "authEnveloped-data" : "enveloped-data")));
  const std::string file = "copy-" + c.name + (c.gcm ? "-gcm" : "-cbc");
  pki_->WriteFile(file + ".eml", copy.message);
  const ToolResult printed = pki_->Openssl({"cms", "-cmsout", "-print", "-in", file + ".eml"});
  ASSERT_EQ(printed.exit_code, 0) << printed.output();
  EXPECT_THAT(printed.out, HasSubstr(c.gcm ? "aes-256-gcm" : "aes-256-cbc"));
  EXPECT_THAT(printed.out, HasSubstr(c.name == "rsa" ? "rsaesOaep" : "dhSinglePass-stdDH-sha256"));

  const std::string payload = OpensslOpen(copy.message, c.name, file);
  ASSERT_FALSE(payload.empty());
  // What was signed is what the copy reports.
  EXPECT_EQ(copy.signed_digest, crypto::Sha256(AsBytes(payload)));
  ExpectOuterAndPayload(copy.message, payload);
  // The signer's chain travels in the signature: the verifier had only the root.
  EXPECT_THAT(pki_->Openssl({"cms", "-cmsout", "-print", "-in", file + ".signed"}).out,
              HasSubstr("CN=Sealpost Issuing CA"));
}

TEST_P(SecureCopySmimeTest, OurReaderOpensTheCopy) {
  const SmimeCase c = GetParam();
  const SecureCopy copy = Build(MessageFor(c), Address(c), Smime(c.name, c.gcm));
  const std::vector<std::string_view> roots = {*root_pem_};
  auto anchors = smime::TrustAnchors::FromPem(roots);
  ASSERT_THAT(anchors.status(), IsOk());
  const std::string part = EncryptedPart(copy.message);
  auto read = smime::ReadSmime(AsBytes(part), RecipientCertifiedKey(c.name), *anchors,
                               Addr(kSender), Now());
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->signer_validation.verdict, smime::Verdict::kTrusted)
      << read->signer_validation.detail;
  EXPECT_EQ(copy.signed_digest, crypto::Sha256(AsBytes(read->content.AsStringView())));
  ExpectOuterAndPayload(copy.message, std::string(read->content.AsStringView()));

  // A flipped byte in the ciphertext: our reader refuses, and so does openssl.
  std::string flipped = copy.message;
  FlipBase64(flipped, copy.message.size() / 2);
  auto refused = smime::ReadSmime(AsBytes(EncryptedPart(flipped)), RecipientCertifiedKey(c.name),
                                  *anchors, Addr(kSender), Now());
  EXPECT_THAT(refused.status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(OpensslOpen(flipped, c.name, "flipped-" + c.name, /*expect_ok=*/false), "");
}

INSTANTIATE_TEST_SUITE_P(Recipients, SecureCopySmimeTest,
                         ::testing::Values(SmimeCase{"rsa", true}, SmimeCase{"rsa", false},
                                           SmimeCase{"ec", true}, SmimeCase{"ec", false}),
                         [](const ::testing::TestParamInfo<SmimeCase>& info) {
                           return info.param.name + (info.param.gcm ? "Gcm" : "Cbc");
                         });

// --- OpenPGP ------------------------------------------------------------------------------

TEST_F(SecureCopyTest, GpgDecryptsAndVerifiesThePgpMimeCopy) {
  const SecureCopy copy = Build(Message(), "gina@partner.example", *gina_);
  EXPECT_EQ(copy.method, SecureMethod::kPgpMime);
  EXPECT_THAT(
      HeaderSection(copy.message),
      HasSubstr("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\""));
  WriteFileBytes(gpg_->Path("gina.asc"), Armored(copy.message));
  const ToolResult out =
      gpg_->Gpg({"--status-fd", "1", "--output", "gina.out", "--decrypt", "gina.asc"});
  EXPECT_EQ(out.exit_code, 0) << out.output();
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] DECRYPTION_OKAY"));
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] GOODSIG " + pgp_signer_->fingerprint().substr(24)));
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] VALIDSIG " + pgp_signer_->fingerprint()));
  const std::string payload = ReadFileBytes(gpg_->Path("gina.out"));
  EXPECT_EQ(copy.signed_digest, crypto::Sha256(AsBytes(payload)));
  ExpectOuterAndPayload(copy.message, payload);

  // A flipped byte in the binary message: gpg refuses (the MDC or the signature).
  const ToolResult dearmored = gpg_->Gpg({"--dearmor"}, Armored(copy.message));
  ASSERT_EQ(dearmored.exit_code, 0) << dearmored.err;
  std::string binary = dearmored.out;
  binary[binary.size() / 2] ^= 0x01;
  WriteFileBytes(gpg_->Path("gina-flipped.gpg"), binary);
  const ToolResult bad = gpg_->Gpg(
      {"--status-fd", "1", "--output", "gina-flipped.out", "--decrypt", "gina-flipped.gpg"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.out, Not(HasSubstr("[GNUPG:] GOODSIG")));
}

TEST_F(SecureCopyTest, SqDecryptsAndVerifiesThePgpMimeCopy) {
  const SecureCopy copy = Build(Message(), "sam@partner.example", *sam_);
  WriteFileBytes(gpg_->Path("sam.asc"), Armored(copy.message));
  const ToolResult out = gpg_->Sq({"decrypt", "--recipient-key", "sam.key", "--signer-cert",
                                   "sender.pgp", "--output", "sam.out", "sam.asc"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  const std::string payload = ReadFileBytes(gpg_->Path("sam.out"));
  EXPECT_EQ(copy.signed_digest, crypto::Sha256(AsBytes(payload)));
  ExpectOuterAndPayload(copy.message, payload);
}

TEST_F(SecureCopyTest, OurPgpReaderOpensTheCopy) {
  const SecureCopy copy = Build(Message(), "mia@sealpost.example", *mia_contact_);
  auto opened =
      pgp::DecryptAndVerify(AsBytes(Armored(copy.message)), *mia_, *sender_contact_, Now());
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->signer_fingerprint, pgp_signer_->fingerprint());
  EXPECT_EQ(copy.signed_digest, crypto::Sha256(AsBytes(opened->plaintext.AsStringView())));
  ExpectOuterAndPayload(copy.message, std::string(opened->plaintext.AsStringView()));

  // A flipped character in the armour body: refused, nothing returned.
  std::string flipped = Armored(copy.message);
  FlipBase64(flipped, flipped.size() / 2);
  EXPECT_THAT(pgp::DecryptAndVerify(AsBytes(flipped), *mia_, *sender_contact_, Now()).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

// --- Bcc: no copy shows another recipient's Bcc ----------------------------------------

TEST_F(SecureCopyTest, BccAppearsOnlyInsideTheBccRecipientsOwnCopy) {
  // The To recipients' copies: the Bcc address is nowhere, inside or outside.
  const SecureCopy rsa = Build(Message(), "rsa@partner.example", Smime("rsa", true));
  const std::string rsa_payload = OpensslOpen(rsa.message, "rsa", "bcc-rsa");
  ASSERT_FALSE(rsa_payload.empty());
  EXPECT_THAT(rsa_payload, Not(HasSubstr(kBccAddress)));
  EXPECT_THAT(rsa_payload, Not(HasSubstr("Bcc")));
  EXPECT_THAT(rsa.message, Not(HasSubstr(kBccAddress)));
  const SecureCopy gina = Build(Message(), "gina@partner.example", *gina_);
  EXPECT_THAT(gina.message, Not(HasSubstr(kBccAddress)));

  // The Bcc recipient's own copy: its Bcc travels inside only.
  const SecureCopy ec = Build(BccCopy(), kBccAddress, Smime("ec", true));
  EXPECT_THAT(HeaderSection(ec.message), Not(HasSubstr(kBccAddress)));
  EXPECT_THAT(HeaderSection(ec.message), Not(HasSubstr("Bcc")));
  const std::string ec_payload = OpensslOpen(ec.message, "ec", "bcc-ec");
  auto parsed = mime::ParseDecrypted(ec.message, ec_payload);
  ASSERT_THAT(parsed.status(), IsOk());
  ASSERT_EQ(parsed->bcc.size(), 1u);
  EXPECT_EQ(parsed->bcc[0].address, kBccAddress);

  // A copy carrying someone else's Bcc, or for an address the message does not name: refused.
  EXPECT_THAT(
      BuildSecureCopy(BccCopy(), Addr("rsa@partner.example"), Sender(), Smime("rsa", true), Now())
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      BuildSecureCopy(Message(), Addr(kBccAddress), Sender(), Smime("ec", true), Now()).status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

// --- One message, many recipients ----------------------------------------------------------

// Issue 12: the payload and the outer header section are built once per message
// (ProtectedMessage) and every recipient's copy is made from them. Each copy opens as one built
// alone does, carries exactly the shared payload and header section, and the recipient checks
// still apply.
TEST_F(SecureCopyTest, CopiesFromOneProtectedMessageShareItsPayload) {
  const mime::OutgoingMessage message = Message();
  auto built = ProtectedMessage::Build(message);
  ASSERT_THAT(built.status(), IsOk());
  auto rsa =
      BuildSecureCopy(*built, Addr("rsa@partner.example"), Sender(), Smime("rsa", true), Now());
  ASSERT_THAT(rsa.status(), IsOk());
  auto gina = BuildSecureCopy(*built, Addr("gina@partner.example"), Sender(), *gina_, Now());
  ASSERT_THAT(gina.status(), IsOk());
  EXPECT_EQ(rsa->signed_digest, crypto::Sha256(AsBytes(built->payload())));
  EXPECT_EQ(gina->signed_digest, rsa->signed_digest);
  for (const SecureCopy* copy : {&*rsa, &*gina}) {
    EXPECT_EQ(copy->message.substr(0, built->outer_headers().size()), built->outer_headers());
  }
  const std::string payload = OpensslOpen(rsa->message, "rsa", "shared-rsa");
  EXPECT_EQ(payload, built->payload());
  ExpectOuterAndPayload(rsa->message, payload);
  WriteFileBytes(gpg_->Path("shared-gina.asc"), Armored(gina->message));
  const ToolResult out = gpg_->Gpg({"--output", "shared-gina.out", "--decrypt", "shared-gina.asc"});
  ASSERT_EQ(out.exit_code, 0) << out.output();
  EXPECT_EQ(ReadFileBytes(gpg_->Path("shared-gina.out")), built->payload());

  // The message names no such recipient (the Bcc address is not in its To or Cc).
  EXPECT_THAT(
      BuildSecureCopy(*built, Addr(kBccAddress), Sender(), Smime("ec", true), Now()).status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

// --- Refusals -----------------------------------------------------------------------------

TEST_F(SecureCopyTest, HeaderInjectionInAnyFieldIsRefused) {
  std::vector<mime::OutgoingMessage> bad;
  auto with = [&](auto change) {
    mime::OutgoingMessage m = Message();
    change(m);
    bad.push_back(std::move(m));
  };
  with([](mime::OutgoingMessage& m) { m.subject = "Hi\r\nBcc: spy@evil.example"; });
  with([](mime::OutgoingMessage& m) { m.subject = "Hi\nX-Evil: 1"; });
  with([](mime::OutgoingMessage& m) { m.from.display_name = "Alice\r\nBcc: spy@evil.example"; });
  with([](mime::OutgoingMessage& m) { m.to[0].display_name = "Rosa\rX: 1"; });
  with([](mime::OutgoingMessage& m) { m.cc[0].display_name = std::string("Carol\0X", 7); });
  with([](mime::OutgoingMessage& m) { m.message_id = "a@b>\r\nBcc: <spy@evil.example"; });
  with([](mime::OutgoingMessage& m) { m.in_reply_to = "p@q\r\nX-Evil: 1"; });
  with([](mime::OutgoingMessage& m) { m.references = {"p@q>\r\nX-Evil: <1"}; });
  with([](mime::OutgoingMessage& m) { m.attachments[0].filename = "a.pdf\r\nX-Evil: 1"; });
  with([](mime::OutgoingMessage& m) {
    m.attachments[0].content_type = "application/pdf\r\nX-Evil: 1";
  });
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THAT(
        BuildSecureCopy(bad[i], Addr("rsa@partner.example"), Sender(), Smime("rsa", true), Now())
            .status(),
        StatusIs(ErrorCode::kInvalidArgument))
        << "case " << i;
    EXPECT_THAT(
        BuildSecureCopy(bad[i], Addr("gina@partner.example"), Sender(), *gina_, Now()).status(),
        StatusIs(ErrorCode::kInvalidArgument))
        << "case " << i;
  }
}

TEST_F(SecureCopyTest, KeysMustBelongToTheRecipientAndTheSender) {
  // The RSA recipient's certificate used for another recipient; Gina's key for Sam.
  EXPECT_THAT(
      BuildSecureCopy(Message(), Addr("carol@partner.example"), Sender(), Smime("rsa", true), Now())
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      BuildSecureCopy(Message(), Addr("sam@partner.example"), Sender(), *gina_, Now()).status(),
      StatusIs(ErrorCode::kInvalidArgument));
  // No signing key for the method.
  EXPECT_THAT(BuildSecureCopy(Message(), Addr("rsa@partner.example"),
                              SenderKeys{nullptr, pgp_signer_}, Smime("rsa", true), Now())
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(BuildSecureCopy(Message(), Addr("gina@partner.example"),
                              SenderKeys{smime_signer_, nullptr}, *gina_, Now())
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // Signing keys that are not the From address's.
  mime::OutgoingMessage other_sender = Message();
  other_sender.from = mime::Mailbox{"Mallory", Addr("mallory@sealpost.example")};
  EXPECT_THAT(BuildSecureCopy(other_sender, Addr("rsa@partner.example"), Sender(),
                              Smime("rsa", true), Now())
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      BuildSecureCopy(other_sender, Addr("gina@partner.example"), Sender(), *gina_, Now()).status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(SecureCopyTest, LimitsComeFromThePolicyTable) {
  mime::OutgoingMessage many = Message();
  many.attachments.assign(policy::kSecureCopy.max_attachments + 1,
                          mime::Attachment{"a.txt", "text/plain", "x"});
  EXPECT_THAT(
      BuildSecureCopy(many, Addr("rsa@partner.example"), Sender(), Smime("rsa", true), Now())
          .status(),
      StatusIs(ErrorCode::kTooLarge));
  many.attachments.resize(policy::kSecureCopy.max_attachments);
  EXPECT_THAT(BuildSecureCopy(many, Addr("gina@partner.example"), Sender(), *gina_, Now()).status(),
              IsOk());

  mime::OutgoingMessage big = Message();
  big.attachments[0].data.assign(policy::kSecureCopy.max_payload_bytes, 'x');
  EXPECT_THAT(BuildSecureCopy(big, Addr("gina@partner.example"), Sender(), *gina_, Now()).status(),
              StatusIs(ErrorCode::kTooLarge));
}

// --- A large message: 5 MiB attachment, UTF-8 subject and file names ---------------------

TEST_F(SecureCopyTest, FiveMebibyteAttachmentWithUtf8NamesReachesOpensslAndGpg) {
  mime::OutgoingMessage m = Message();
  std::string data(5 * 1024 * 1024, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  m.subject = "Jahresabschluss 2026 – Übersicht für Zürich 📎";
  m.attachments = {{"Bilanz Größe Ñandú 日本.bin", "application/octet-stream", data},
                   {"Notiz é.txt", "text/plain", "ça va\n"}};

  const SecureCopy smime = Build(m, "rsa@partner.example", Smime("rsa", true));
  const std::string payload = OpensslOpen(smime.message, "rsa", "large-rsa");
  ASSERT_FALSE(payload.empty());
  auto parsed = mime::ParseDecrypted(smime.message, payload);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(parsed->subject, m.subject);
  ASSERT_EQ(parsed->attachments.size(), 2u);
  EXPECT_EQ(parsed->attachments[0].filename, "Bilanz Größe Ñandú 日本.bin");
  EXPECT_TRUE(parsed->attachments[0].data == data);
  EXPECT_EQ(parsed->attachments[1].filename, "Notiz é.txt");
  EXPECT_THAT(smime.message, Not(HasSubstr("Jahresabschluss")));

  const SecureCopy pgp = Build(m, "gina@partner.example", *gina_);
  WriteFileBytes(gpg_->Path("large.asc"), Armored(pgp.message));
  const ToolResult out =
      gpg_->Gpg({"--status-fd", "1", "--output", "large.out", "--decrypt", "large.asc"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] VALIDSIG " + pgp_signer_->fingerprint()));
  const std::string pgp_payload = ReadFileBytes(gpg_->Path("large.out"));
  EXPECT_EQ(pgp.signed_digest, crypto::Sha256(AsBytes(pgp_payload)));
  auto pgp_parsed = mime::ParseDecrypted(pgp.message, pgp_payload);
  ASSERT_THAT(pgp_parsed.status(), IsOk());
  EXPECT_EQ(pgp_parsed->subject, m.subject);
  ASSERT_EQ(pgp_parsed->attachments.size(), 2u);
  EXPECT_EQ(pgp_parsed->attachments[0].filename, "Bilanz Größe Ñandú 日本.bin");
  EXPECT_TRUE(pgp_parsed->attachments[0].data == data);
}

// --- The envelope decision ----------------------------------------------------------------

class DecideEnvelopeTest : public SecureCopyTest {
 protected:
  // A P-256 leaf under the external CA whose SMIMECapabilities extension (RFC 4262) lists
  // `ciphers` (OpenSSL object names), written by openssl's generic ASN.1 extension syntax.
  static smime::Certificate WithCapabilities(const std::string& name,
                                             const std::vector<std::string>& ciphers) {
    EXPECT_TRUE(pki_->MakeKey(name, "ec:P-256"));
    std::string cnf =
        "[ext]\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\n"
        "subjectAltName=email:" +
        name + "@partner.example\n1.2.840.113549.1.9.15=ASN1:SEQUENCE:caps\n[caps]\n";
    for (size_t i = 0; i < ciphers.size(); ++i) {
      cnf += "c" + std::to_string(i) + "=SEQUENCE:alg" + std::to_string(i) + "\n";
    }
    for (size_t i = 0; i < ciphers.size(); ++i) {
      cnf += "[alg" + std::to_string(i) + "]\noid=OID:" + ciphers[i] + "\n";
    }
    pki_->WriteFile(name + ".ext", cnf);
    EXPECT_TRUE(pki_->OpensslOk(
        {"req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr"}));
    EXPECT_TRUE(pki_->OpensslOk({"x509", "-req", "-in", name + ".csr", "-CA", "extca.pem", "-CAkey",
                                 "extca.key", "-set_serial", std::to_string(++serial_), "-days",
                                 "30", "-sha256", "-extfile", name + ".ext", "-extensions", "ext",
                                 "-out", name + ".pem"}));
    return Cert(name);
  }
  static inline int serial_ = 5000;
};

TEST_F(DecideEnvelopeTest, CertificateExtensionIsReadAsOpensslPrintsIt) {
  const smime::Certificate gcm = WithCapabilities("capsgcm", {"id-aes256-GCM", "aes-256-cbc"});
  const ToolResult printed = pki_->Openssl({"x509", "-in", "capsgcm.pem", "-noout", "-text"});
  EXPECT_THAT(printed.out, HasSubstr("S/MIME Capabilities"));
  const auto caps = smime::CapabilitiesInCertificate(gcm);
  ASSERT_TRUE(caps.has_value());
  EXPECT_TRUE(caps->aes256_gcm);
  EXPECT_TRUE(caps->aes256_cbc);
  const auto cbc_only =
      smime::CapabilitiesInCertificate(WithCapabilities("capscbc", {"aes-256-cbc"}));
  ASSERT_TRUE(cbc_only.has_value());
  EXPECT_FALSE(cbc_only->aes256_gcm);
  EXPECT_TRUE(cbc_only->aes256_cbc);
  EXPECT_FALSE(smime::CapabilitiesInCertificate(Cert("rsa")).has_value());
}

TEST_F(DecideEnvelopeTest, RecordedCapabilitiesWinThenTheCertificateThenThePolicy) {
  using smime::Envelope;
  const smime::Certificate plain = Cert("ec");
  const smime::Certificate gcm = WithCapabilities("capsgcm2", {"id-aes256-GCM"});
  const smime::Certificate cbc = WithCapabilities("capscbc2", {"aes-256-cbc"});
  const smime::RecipientCapabilities with_gcm{.aes256_gcm = true, .aes256_cbc = true};
  const smime::RecipientCapabilities without_gcm{.aes256_gcm = false, .aes256_cbc = true};

  EXPECT_EQ(DecideEnvelope(plain, with_gcm), Envelope::kAuthEnvelopedAes256Gcm);
  EXPECT_EQ(DecideEnvelope(plain, without_gcm), Envelope::kEnvelopedAes256Cbc);
  EXPECT_EQ(DecideEnvelope(gcm, without_gcm), Envelope::kEnvelopedAes256Cbc);
  EXPECT_EQ(DecideEnvelope(cbc, with_gcm), Envelope::kAuthEnvelopedAes256Gcm);
  EXPECT_EQ(DecideEnvelope(gcm, std::nullopt), Envelope::kAuthEnvelopedAes256Gcm);
  EXPECT_EQ(DecideEnvelope(cbc, std::nullopt), Envelope::kEnvelopedAes256Cbc);
  EXPECT_EQ(DecideEnvelope(plain, std::nullopt), policy::kSmime.gcm_when_capabilities_unknown
                                                     ? Envelope::kAuthEnvelopedAes256Gcm
                                                     : Envelope::kEnvelopedAes256Cbc);
}

TEST_F(DecideEnvelopeTest, TheCopyUsesTheCertificatesAnnouncedGcm) {
  // Nothing recorded, the certificate announces GCM: AuthEnvelopedData, and openssl opens it.
  const smime::Certificate gcm = WithCapabilities("capsgcm3", {"id-aes256-GCM"});
  mime::OutgoingMessage m = Message();
  m.to.push_back({"", Addr("capsgcm3@partner.example")});
  const SecureCopy copy = Build(m, "capsgcm3@partner.example", smime::SmimeRecipient{gcm, {}});
  EXPECT_EQ(copy.method, SecureMethod::kSmimeAuthEnvelopedAes256Gcm);
  EXPECT_EQ(SecureMethodSlug(copy.method), "smime-authenveloped-aes256gcm");
  const std::string payload = OpensslOpen(copy.message, "capsgcm3", "capsgcm3");
  EXPECT_EQ(copy.signed_digest, crypto::Sha256(AsBytes(payload)));
}

}  // namespace
}  // namespace sealpost::delivery
