// Members' certified keys: made when the address is confirmed, at the next log-in for members
// who have none, never without the platform PKI; private halves open only with the member's UMK.
#include "app/account_keys.h"

#include <gtest/gtest.h>

#include "app/app_test_fixture.h"
#include "keys/member_keys.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "smime/platform_ca.h"
#include "trust/platform_pki.h"

namespace sealpost::app {
namespace {

class AccountKeysTest : public AppTest {
 protected:
  AccountKeysTest() : pki_(*trust::LoadOrCreatePlatformPki(*store_, master_, clock_)) {}

  Services WithPki() {
    Services with = services_;
    with.pki = &pki_;
    return with;
  }

  // Signs up and confirms `email` through `accounts`; returns a session's context.
  AuthContext EnrolAndLogIn(Accounts& accounts, const std::string& email) {
    EXPECT_THAT(accounts.SignUp(
                    {email, crypto::SecretString::CopyOf(kPassword), "Ann Example", "127.0.0.1"}),
                IsOk());
    EXPECT_THAT(accounts.VerifyEmail(LastToken()).status(), IsOk());
    return LogIn(accounts, email);
  }

  AuthContext LogIn(Accounts& accounts, const std::string& email) {
    auto login = accounts.Login(email, kPassword, "127.0.0.1");
    EXPECT_THAT(login.status(), IsOk());
    auto ctx = accounts.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    EXPECT_THAT(ctx.status(), IsOk());
    return std::move(*ctx);
  }

  trust::PlatformPki pki_;
};

TEST_F(AccountKeysTest, KeysAreMadeWhenTheAddressIsConfirmedNotAtSignUp) {
  Services services = WithPki();
  Accounts accounts(services);
  ASSERT_THAT(accounts.SignUp(
                  {"ann@example.org", crypto::SecretString::CopyOf(kPassword), "Ann", "127.0.0.1"}),
              IsOk());
  auto pending = store_->accounts().GetUserByEmail("ann@example.org");
  ASSERT_THAT(pending.status(), IsOk());
  EXPECT_THAT(store_->accounts().GetMemberKeys(pending->id).status(),
              StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(accounts.VerifyEmail(LastToken()).status(), IsOk());
  EXPECT_THAT(store_->accounts().GetMemberKeys(pending->id).status(), IsOk());
  EXPECT_TRUE(AuditHas("key.create"));
}

TEST_F(AccountKeysTest, CertificateAndOpenPgpKeyBelongToTheMemberAndOpenOnlyWithTheirUmk) {
  Services services = WithPki();
  Accounts accounts(services);
  const AuthContext ctx = EnrolAndLogIn(accounts, "ann@example.org");
  auto keys = store_->accounts().GetMemberKeys(ctx.user.id);
  ASSERT_THAT(keys.status(), IsOk());

  auto certificate = smime::Certificate::FromDer(keys->smime_certificate);
  ASSERT_THAT(certificate.status(), IsOk());
  EXPECT_THAT(smime::CheckIssuedBy(*certificate, pki_.issuing.certificate), IsOk());
  EXPECT_EQ(certificate->FingerprintHex(), keys->smime_fingerprint);
  EXPECT_NE(certificate->subject().find("ann@example.org"), std::string::npos);
  EXPECT_EQ(certificate->issuer(), pki_.issuing.certificate.subject());

  auto pkcs8 = keys::UnwrapCertifiedKey(ctx.umk, keys::CertifiedKeyKind::kSmime,
                                        keys->smime_wrapped_key, ctx.user.id);
  ASSERT_THAT(pkcs8.status(), IsOk());
  auto smime_key = smime::CertificateKey::FromPkcs8Der(pkcs8->view());
  ASSERT_THAT(smime_key.status(), IsOk());
  EXPECT_THAT(smime::CheckKeyMatches(*certificate, *smime_key), IsOk());

  auto secret = keys::UnwrapCertifiedKey(ctx.umk, keys::CertifiedKeyKind::kOpenPgp,
                                         keys->openpgp_wrapped_key, ctx.user.id);
  ASSERT_THAT(secret.status(), IsOk());
  auto openpgp = pgp::MemberKey::Load(*secret);
  ASSERT_THAT(openpgp.status(), IsOk());
  EXPECT_EQ((*openpgp)->fingerprint(), keys->openpgp_fingerprint);
  EXPECT_EQ((*openpgp)->user_id(), "ann@example.org");
  EXPECT_EQ((*openpgp)->public_key(), keys->openpgp_public_key);

  // Zero access: another UMK (the platform has none of the member's) opens neither.
  const crypto::Umk other = crypto::Umk::Generate();
  EXPECT_THAT(keys::UnwrapCertifiedKey(other, keys::CertifiedKeyKind::kSmime,
                                       keys->smime_wrapped_key, ctx.user.id)
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(keys::UnwrapCertifiedKey(other, keys::CertifiedKeyKind::kOpenPgp,
                                       keys->openpgp_wrapped_key, ctx.user.id)
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(AccountKeysTest, MemberWithoutKeysGetsThemAtTheNextLogInAndKeepsThem) {
  // Enrolled by a platform without a PKI: enrolment works, there are no keys to show.
  const AuthContext before = EnrolAndLogIn(accounts_, "bob@example.org");
  EXPECT_THAT(store_->accounts().GetMemberKeys(before.user.id).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(AccountKeys(services_).Describe(before).status(), StatusIs(ErrorCode::kNotFound));

  Services services = WithPki();
  Accounts accounts(services);
  const AuthContext ctx = LogIn(accounts, "bob@example.org");
  auto keys = store_->accounts().GetMemberKeys(ctx.user.id);
  ASSERT_THAT(keys.status(), IsOk());
  EXPECT_THAT(keys::UnwrapCertifiedKey(ctx.umk, keys::CertifiedKeyKind::kSmime,
                                       keys->smime_wrapped_key, ctx.user.id)
                  .status(),
              IsOk());

  // Later log-ins leave them as they are.
  clock_.Advance(1min);
  (void)LogIn(accounts, "bob@example.org");
  EXPECT_EQ(store_->accounts().GetMemberKeys(ctx.user.id)->smime_fingerprint,
            keys->smime_fingerprint);
}

TEST_F(AccountKeysTest, ViewAndDownloadsShowThePublicParts) {
  Services services = WithPki();
  Accounts accounts(services);
  const AuthContext ctx = EnrolAndLogIn(accounts, "ann@example.org");
  AccountKeys account_keys(services);
  auto view = account_keys.Describe(ctx);
  ASSERT_THAT(view.status(), IsOk());
  auto stored = store_->accounts().GetMemberKeys(ctx.user.id);
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_EQ(view->smime_sha256, stored->smime_fingerprint);
  EXPECT_EQ(view->smime_issuer, pki_.issuing.certificate.subject());
  EXPECT_FALSE(view->smime_serial.empty());
  EXPECT_GT(view->smime_not_after, clock_.Now());
  EXPECT_EQ(view->openpgp_fingerprint, stored->openpgp_fingerprint);
  EXPECT_EQ(view->openpgp_algorithm, "ed25519/cv25519");

  auto der = account_keys.SmimeCertificateDer(ctx);
  ASSERT_THAT(der.status(), IsOk());
  EXPECT_EQ(*der, stored->smime_certificate);
  auto pem = account_keys.SmimeCertificatePem(ctx);
  ASSERT_THAT(pem.status(), IsOk());
  // The member's certificate first, then the issuing CA and the root.
  EXPECT_EQ(*smime::Certificate::FromPem(*pem), *smime::Certificate::FromDer(*der));
  const std::string chain = pki_.issuing.certificate.ToPem() + pki_.root.certificate.ToPem();
  ASSERT_GE(pem->size(), chain.size());
  EXPECT_EQ(pem->substr(pem->size() - chain.size()), chain);

  auto armored = account_keys.OpenPgpPublicKey(ctx);
  ASSERT_THAT(armored.status(), IsOk());
  EXPECT_EQ(armored->rfind("-----BEGIN PGP PUBLIC KEY BLOCK-----", 0), 0u);
  auto imported = pgp::ImportPublicKey(AsBytes(*armored), *EmailAddress::Parse("ann@example.org"),
                                       clock_.Now());
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported.key().fingerprint, stored->openpgp_fingerprint);
}

TEST_F(AccountKeysTest, AProvenAddressGetsKeysInTheEnrolmentsWrite) {
  Services services = WithPki();
  Accounts accounts(services);
  auto enrolled = accounts.EnrolProvenAddress(
      {"guest@example.org", crypto::SecretString::CopyOf(kPassword), "", "192.0.2.1"}, "UA",
      [](store::WriteTxn&, const store::UserRecord&) { return Status::Ok(); });
  ASSERT_THAT(enrolled.status(), IsOk());
  EXPECT_THAT(store_->accounts().GetMemberKeys(enrolled->session.user.id).status(), IsOk());

  // A failing enrolment write leaves no keys behind either.
  auto failed = accounts.EnrolProvenAddress(
      {"other@example.org", crypto::SecretString::CopyOf(kPassword), "", "192.0.2.1"}, "UA",
      [](store::WriteTxn&, const store::UserRecord&) { return Internal("injected"); });
  EXPECT_THAT(failed.status(), StatusIs(ErrorCode::kInternal));
  EXPECT_THAT(store_->accounts().GetUserByEmail("other@example.org").status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(AccountKeysTest, FailingToMakeKeysNeitherFailsEnrolmentNorLogInAndIsRetried) {
  // An issuing CA whose key is not its certificate's: it refuses to issue.
  trust::PlatformPki mismatched = pki_;
  mismatched.issuing.key = pki_.root.key;
  Services broken = services_;
  broken.pki = &mismatched;
  Accounts accounts(broken);
  const AuthContext ctx = EnrolAndLogIn(accounts, "carol@example.org");
  EXPECT_THAT(store_->accounts().GetMemberKeys(ctx.user.id).status(),
              StatusIs(ErrorCode::kNotFound));

  Services fixed = WithPki();
  Accounts repaired(fixed);
  (void)LogIn(repaired, "carol@example.org");
  EXPECT_THAT(store_->accounts().GetMemberKeys(ctx.user.id).status(), IsOk());
}

TEST_F(AccountKeysTest, BootstrapAdministratorGetsKeys) {
  Services services = WithPki();
  Accounts accounts(services);
  auto token = accounts.CreateBootstrapTokenIfNeeded();
  ASSERT_THAT(token.status(), IsOk());
  ASSERT_TRUE(*token);
  ASSERT_THAT(accounts
                  .BootstrapAdmin(**token, {"root@example.org",
                                            crypto::SecretString::CopyOf(kPassword), "", "::1"})
                  .status(),
              IsOk());
  auto admin = store_->accounts().GetUserByEmail("root@example.org");
  ASSERT_THAT(admin.status(), IsOk());
  EXPECT_THAT(store_->accounts().GetMemberKeys(admin->id).status(), IsOk());
}

}  // namespace
}  // namespace sealpost::app
