#include "app/inbound_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "app/account_keys.h"
#include "app/app_test_fixture.h"
#include "app/contacts.h"
#include "app/inbound_mail.h"
#include "app/key_directory.h"
#include "crypto/hash.h"
#include "pgp/pgp_mime.h"
#include "pgp/testing/gnupg.h"
#include "smime/certificate.h"
#include "smime/testing/test_pki.h"
#include "trust/platform_pki.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using State = SignatureCheck::State;

constexpr const char* kBob = "bob@example.org";
constexpr const char* kCarol = "carol@partner.example";  // S/MIME, outside
constexpr const char* kGina = "gina@partner.example";    // OpenPGP, outside
constexpr const char* kMarker = "INNER-SECRET-4b1d";

// LF → CRLF (what an SMTP client sends; the tools write LF).
std::string Crlf(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::string InnerEntity() {
  return std::string("Content-Type: text/plain; charset=utf-8\r\n\r\nThe contract terms: ") +
         kMarker + "\r\n";
}

class InboundReaderTest : public AppTest {
 protected:
  InboundReaderTest()
      : pki_(*trust::LoadOrCreatePlatformPki(*store_, master_, clock_)), with_(Make()) {}

  Services Make() {
    Services s{faults_, *blobs_, master_, audit_, clock_, rng_, mailer_, throttle_, Config()};
    s.pki = &pki_;
    return s;
  }

  void SetUp() override {
    // openssl and gpg date their certificates and keys from the real clock.
    clock_.Set(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    Accounts accounts(with_);
    ASSERT_THAT(
        accounts.SignUp({kBob, crypto::SecretString::CopyOf(kPassword), "Bob", "127.0.0.1"}),
        IsOk());
    ASSERT_THAT(accounts.VerifyEmail(LastToken()).status(), IsOk());
    auto login = accounts.Login(kBob, kPassword, "127.0.0.1");
    ASSERT_THAT(login.status(), IsOk());
    auto ctx = accounts.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    ASSERT_THAT(ctx.status(), IsOk());
    bob_.emplace(std::move(*ctx));

    std::filesystem::create_directories(pki_dir_);
    ASSERT_TRUE(ca_.MakeCa("partnerca"));
    smime::testing::LeafSpec spec;
    spec.email = kCarol;
    ASSERT_TRUE(ca_.MakeLeaf("carol", "partnerca", spec));
    auto bob_pem = AccountKeys(with_).SmimeCertificatePem(*bob_);
    ASSERT_THAT(bob_pem.status(), IsOk());
    ca_.WriteFile("bob.pem", *bob_pem);

    gina_fpr_ = gpg_.MakeKey(kGina, "ed25519", "cert,sign", "cv25519");
    auto bob_key = AccountKeys(with_).OpenPgpPublicKey(*bob_);
    ASSERT_THAT(bob_key.status(), IsOk());
    std::ofstream(gpg_.Path("bob.asc"), std::ios::binary) << *bob_key;
    ASSERT_EQ(gpg_.Gpg({"--batch", "--import", gpg_.Path("bob.asc")}).exit_code, 0);
    clock_.Set(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
        std::chrono::seconds(2));
  }

  // Carol's S/MIME mail to Bob: signed (opaque), then encrypted to Bob's certificate, by openssl.
  std::string SmimeMail() {
    ca_.WriteFile("inner.txt", InnerEntity());
    EXPECT_TRUE(ca_.OpensslOk({"cms", "-sign", "-in", "inner.txt", "-signer", "carol.pem", "-inkey",
                               "carol.key", "-nodetach", "-md", "sha256", "-binary", "-outform",
                               "SMIME", "-out", "signed.eml"}));
    EXPECT_TRUE(ca_.OpensslOk({"cms", "-encrypt", "-in", "signed.eml", "-aes-256-gcm", "-binary",
                               "-from", kCarol, "-to", kBob, "-subject", "Contract", "-outform",
                               "SMIME", "-out", "mail.eml", "bob.pem"}));
    return Crlf(ca_.ReadFile("mail.eml"));
  }

  // Gina's PGP/MIME mail to Bob: signed and encrypted to Bob's key by gpg.
  std::string PgpMail() {
    std::ofstream(gpg_.Path("inner.txt"), std::ios::binary) << InnerEntity();
    const auto made = gpg_.Gpg({"--batch", "--yes", "--trust-model", "always", "--armor", "--sign",
                                "--encrypt", "-u", gina_fpr_, "-r", kBob, "--output",
                                gpg_.Path("msg.asc"), gpg_.Path("inner.txt")});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    std::ifstream in(gpg_.Path("msg.asc"), std::ios::binary);
    const std::string armored((std::istreambuf_iterator<char>(in)), {});
    const pgp::PgpMimeEntity entity = pgp::WrapPgpMime(armored);
    return Crlf(std::string("From: Gina <") + kGina + ">\r\nTo: " + kBob +
                "\r\nSubject: Contract\r\nMIME-Version: 1.0\r\n" + entity.ToEntity());
  }

  MessageId Receive(const std::string& mail) {
    InboundMail inbound(with_, {"example.org"});
    auto id = inbound.CheckRecipient(kBob);
    EXPECT_THAT(id.status(), IsOk());
    auto message = inbound.Begin({"192.0.2.10", "", kCarol, {*id}});
    EXPECT_THAT(message.status(), IsOk());
    EXPECT_THAT((*message)->Append(mail), IsOk());
    auto ids = (*message)->Commit();
    EXPECT_THAT(ids.status(), IsOk());
    return ids.ok() ? ids->front() : MessageId::FromTrusted(std::string(32, '0'));
  }

  void TrustPartnerCa() {
    ASSERT_TRUE(ca_.OpensslOk(
        {"x509", "-in", "partnerca.pem", "-outform", "DER", "-out", "partnerca.der"}));
    const std::string der = ca_.ReadFile("partnerca.der");
    auto cert = smime::Certificate::FromDer(AsBytes(der));
    ASSERT_THAT(cert.status(), IsOk());
    const store::TrustAnchorRecord anchor{platform::NewId<store::TrustAnchorId>(rng_),
                                          Bytes(der.begin(), der.end()),
                                          cert->subject(),
                                          HexEncode(crypto::Sha256(AsBytes(der))),
                                          bob_->user.id,
                                          clock_.Now()};
    ASSERT_THAT(
        store_->Write([&](store::WriteTxn& tx) { return tx.keys().AddTrustAnchor(anchor); }),
        IsOk());
  }

  trust::PlatformPki pki_;
  Services with_;
  std::optional<AuthContext> bob_;
  std::string pki_dir_ = dir_.path() + "/pki";
  smime::testing::TestPki ca_{pki_dir_};
  pgp::testing::GnuPg gpg_;
  std::string gina_fpr_;
};

TEST_F(InboundReaderTest, SmimeMailIsDecryptedWhenOpenedAndItsSignerShownValid) {
  TrustPartnerCa();
  const std::string mail = SmimeMail();
  ASSERT_THAT(mail, Not(HasSubstr(kMarker)));
  const MessageId id = Receive(mail);
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->method, "S/MIME");
  EXPECT_EQ(view->signature->state, State::kValid) << view->signature->detail;
  EXPECT_EQ(view->signature->signer, kCarol);
  EXPECT_THAT(view->message.body.text, HasSubstr(kMarker));
  EXPECT_TRUE(view->signature->content_shown);
  EXPECT_EQ(view->message.header.subject, "Contract");
  EXPECT_EQ(view->message.header.received->protection, "smime");
  // Carol's certificate is offered in Bob's contacts; it chains, so it is trusted.
  auto listed = Contacts(with_).List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().address, kCarol);
  EXPECT_EQ(listed->front().source, store::ContactKeySource::kSeenInMail);
  EXPECT_EQ(listed->front().status, "trusted");
  // Opened again: not offered twice.
  ASSERT_THAT(InboundReader(with_, "").Read(*bob_, id.str()).status(), IsOk());
  listed = Contacts(with_).List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(InboundReaderTest, SmimeSignerWithoutAnchorIsUnknown) {
  const MessageId id = Receive(SmimeMail());
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->state, State::kUnknownSigner) << view->signature->detail;
  EXPECT_THAT(view->message.body.text, HasSubstr(kMarker));
  EXPECT_TRUE(view->signature->content_shown);
  // Offered, but it chains to nothing: it needs Bob's verification before it is used.
  auto listed = Contacts(with_).List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().status, "needs-verification");
}

TEST_F(InboundReaderTest, SmimeFlippedByteIsShownBrokenAndWithheld) {
  TrustPartnerCa();
  std::string mail = SmimeMail();
  // One base64 character of the ciphertext, well inside the body.
  const size_t body = mail.find("\r\n\r\n") + 4;
  const size_t at = body + (mail.size() - body) / 2;
  ASSERT_NE(mail[at], '\r');
  mail[at] = mail[at] == 'A' ? 'B' : 'A';
  const MessageId id = Receive(mail);
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->state, State::kInvalid);
  EXPECT_THAT(view->message.body.text, IsEmpty());
  EXPECT_FALSE(view->signature->content_shown);
}

TEST_F(InboundReaderTest, OpenPgpMailFromAContactIsDecryptedAndShownValid) {
  ASSERT_THAT(Contacts(with_)
                  .Import(*bob_, AsBytes(gpg_.Export(gina_fpr_)), KeyFormat::kAuto, kGina)
                  .status(),
              IsOk());
  const std::string mail = PgpMail();
  ASSERT_THAT(mail, Not(HasSubstr(kMarker)));
  const MessageId id = Receive(mail);
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->method, "OpenPGP");
  EXPECT_EQ(view->signature->state, State::kValid) << view->signature->detail;
  EXPECT_EQ(view->signature->signer, gina_fpr_);
  EXPECT_THAT(view->message.body.text, HasSubstr(kMarker));
  EXPECT_TRUE(view->signature->content_shown);
}

TEST_F(InboundReaderTest, OpenPgpFromAnUnknownSignerIsNotOpened) {
  const MessageId id = Receive(PgpMail());
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->state, State::kUnknownSigner);
  EXPECT_THAT(view->message.body.text, IsEmpty());
  EXPECT_FALSE(view->signature->content_shown);
}

TEST_F(InboundReaderTest, OpenPgpFlippedByteIsShownBroken) {
  ASSERT_THAT(Contacts(with_)
                  .Import(*bob_, AsBytes(gpg_.Export(gina_fpr_)), KeyFormat::kAuto, kGina)
                  .status(),
              IsOk());
  std::string mail = PgpMail();
  const size_t armor = mail.find("-----BEGIN PGP MESSAGE-----");
  ASSERT_NE(armor, std::string::npos);
  const size_t end = mail.find("-----END PGP MESSAGE-----");
  size_t at = armor + (end - armor) / 2;
  while (mail[at] == '\r' || mail[at] == '\n') ++at;
  mail[at] = mail[at] == 'A' ? 'B' : 'A';
  const MessageId id = Receive(mail);
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->state, State::kInvalid);
  EXPECT_THAT(view->message.body.text, IsEmpty());
  EXPECT_FALSE(view->signature->content_shown);
}

TEST_F(InboundReaderTest, PlainMailHasNoSignatureCheck) {
  const MessageId id =
      Receive("From: a@outside.example\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nplain\r\n");
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_FALSE(view->signature.has_value());
  EXPECT_THAT(view->message.body.text, HasSubstr("plain"));
}

// Plain mail from Gina carrying her key in an Autocrypt header field for `addr`.
std::string AutocryptMail(const std::string& addr, const std::string& key_binary) {
  const std::string b64 = Base64Encode(AsBytes(key_binary));
  std::string folded;
  for (size_t at = 0; at < b64.size(); at += 72) folded += "\r\n " + b64.substr(at, 72);
  return std::string("From: Gina <") + kGina + ">\r\nTo: " + kBob +
         "\r\nSubject: hello\r\nAutocrypt: addr=" + addr +
         "; prefer-encrypt=mutual; keydata=" + folded + "\r\n\r\nHi Bob.\r\n";
}

TEST_F(InboundReaderTest, AutocryptKeyIsOfferedAsSeenAndNotTrustedUntilVerified) {
  Receive(AutocryptMail(kGina, gpg_.Export(gina_fpr_, false)));
  Contacts contacts(with_);
  auto listed = contacts.List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  const ContactKeyView seen = listed->front();
  EXPECT_EQ(seen.source, store::ContactKeySource::kSeenInMail);
  EXPECT_EQ(SourceName(seen.source), "seen-in-signed-mail");
  EXPECT_EQ(seen.status, "needs-verification");
  EXPECT_EQ(seen.address, kGina);
  EXPECT_EQ(seen.fingerprint, gina_fpr_);
  EXPECT_TRUE(AuditHas("contact_key_seen"));
  // Not used to encrypt to Gina.
  KeyDirectory directory(with_, KeyDirectoryOptions{""});
  auto usable = directory.UsableKeysFor(bob_->user.id, *EmailAddress::Parse(kGina));
  ASSERT_THAT(usable.status(), IsOk());
  EXPECT_FALSE(usable->openpgp.has_value());

  // Her encrypted mail opens, but her signature counts only once Bob verified the key.
  const MessageId id = Receive(PgpMail());
  auto view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->signature.has_value());
  EXPECT_EQ(view->signature->state, State::kUnknownSigner);
  EXPECT_THAT(view->message.body.text, HasSubstr(kMarker));
  EXPECT_TRUE(view->signature->content_shown);
  ASSERT_THAT(contacts.Verify(*bob_, seen.id, gina_fpr_).status(), IsOk());
  view = InboundReader(with_, "").Read(*bob_, id.str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->signature->state, State::kValid);
  usable = directory.UsableKeysFor(bob_->user.id, *EmailAddress::Parse(kGina));
  ASSERT_THAT(usable.status(), IsOk());
  EXPECT_TRUE(usable->openpgp.has_value());

  // Seen again: not offered twice.
  Receive(AutocryptMail(kGina, gpg_.Export(gina_fpr_, false)));
  listed = contacts.List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(InboundReaderTest, AutocryptForAnotherAddressThanFromIsIgnored) {
  Receive(AutocryptMail("mallory@partner.example", gpg_.Export(gina_fpr_, false)));
  auto listed = Contacts(with_).List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  EXPECT_TRUE(listed->empty());
}

TEST_F(InboundReaderTest, AttachedPublicKeyIsOfferedAsSeen) {
  const std::string armored = gpg_.Export(gina_fpr_);
  Receive(std::string("From: ") + kGina + "\r\nTo: " + kBob +
          "\r\nSubject: my key\r\nMIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=\"k\"\r\n\r\n"
          "--k\r\nContent-Type: text/plain\r\n\r\nMy key is attached.\r\n"
          "--k\r\nContent-Type: application/pgp-keys; name=\"gina.asc\"\r\n"
          "Content-Disposition: attachment; filename=\"gina.asc\"\r\n\r\n" +
          Crlf(armored) + "--k--\r\n");
  auto listed = Contacts(with_).List(*bob_);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().source, store::ContactKeySource::kSeenInMail);
  EXPECT_EQ(listed->front().fingerprint, gina_fpr_);
}

}  // namespace
}  // namespace sealpost::app
