// The key directory's use cases (app/contacts.h) and routing look-up (app/key_directory.h), with
// certificates made by the openssl command line (an external CA, RSA-3072 and P-256 recipients)
// and OpenPGP keys made by gpg and sq: independent tools, not the code under test.
#include "app/contacts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "app/app_test_fixture.h"
#include "app/internal/contact_trust.h"
#include "app/key_directory.h"
#include "pgp/testing/gnupg.h"
#include "smime/certificate_validation.h"
#include "smime/testing/test_pki.h"
#include "testing/run_tool.h"

namespace sealpost::app {
namespace {

using smime::testing::LeafSpec;
using smime::testing::TestPki;
using ::testing::HasSubstr;

constexpr const char* kCarol = "carol@partner.example";

ByteView B(const std::string& s) { return AsBytes(s); }

// "SHA256 Fingerprint=AB:CD:..." as openssl prints it -> "abcd...".
std::string OpensslFingerprint(const TestPki& pki, const std::string& pem_file) {
  const testutil::ToolResult r =
      pki.Openssl({"x509", "-in", pem_file, "-noout", "-fingerprint", "-sha256"});
  EXPECT_EQ(r.exit_code, 0) << r.output();
  std::string hex;
  for (const char c : r.out.substr(r.out.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return hex;
}

class ContactsTest : public AppTest {
 protected:
  void SetUp() override {
    // openssl dates its certificates from the real clock.
    clock_.Set(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    admin_.emplace(BootstrapAdminSession());
    const std::string totp = Enrol("alice@example.org");
    alice_.emplace(LoggedIn("alice@example.org", totp));
    std::filesystem::create_directories(pki_dir_);
    ASSERT_TRUE(pki_.MakeCa("partnerca"));
  }

  const AuthContext& alice() { return *alice_; }
  const AuthContext& root() { return *admin_; }

  // A certificate for `email` issued by the partner CA ("" : self-signed).
  std::string Leaf(const std::string& name, const std::string& email,
                   const std::string& key = "ec:P-256", const std::string& issuer = "partnerca",
                   const std::string& eku = "emailProtection", int days = 365) {
    LeafSpec spec;
    spec.key = key;
    spec.email = email;
    spec.eku = eku;
    spec.days = days;
    EXPECT_TRUE(pki_.MakeLeaf(name, issuer, spec));
    return pki_.ReadFile(name + ".pem");
  }

  std::optional<store::ContactKeyRecord> UsableSmime(const std::string& address) {
    auto keys = directory_.UsableKeysFor(alice().user.id, *EmailAddress::Parse(address));
    EXPECT_THAT(keys.status(), IsOk());
    return keys.ok() ? keys->smime : std::nullopt;
  }
  std::optional<store::ContactKeyRecord> UsableOpenPgp(const std::string& address) {
    auto keys = directory_.UsableKeysFor(alice().user.id, *EmailAddress::Parse(address));
    EXPECT_THAT(keys.status(), IsOk());
    return keys.ok() ? keys->openpgp : std::nullopt;
  }

  size_t Listed() {
    auto list = contacts_.List(alice());
    EXPECT_THAT(list.status(), IsOk());
    return list.ok() ? list->size() : 0;
  }

  std::string pki_dir_ = dir_.path() + "/pki";
  TestPki pki_{pki_dir_};
  Contacts contacts_{services_};
  KeyDirectory directory_{services_};
  std::optional<AuthContext> admin_;
  std::optional<AuthContext> alice_;
};

TEST_F(ContactsTest, ExternalCaCertificateIsTrustedOnlyWhileItsAnchorIs) {
  const std::string pem = Leaf("carol", kCarol, "rsa:3072");
  auto key = contacts_.Import(alice(), B(pem), KeyFormat::kAuto, "");
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(key->address, kCarol);
  EXPECT_EQ(key->fingerprint, OpensslFingerprint(pki_, "carol.pem"));
  EXPECT_EQ(key->algorithm, "RSA 3072");
  EXPECT_EQ(key->status, "needs-verification");
  EXPECT_EQ(key->added_by, alice().user.id.str());
  EXPECT_FALSE(key->organisation);
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
  EXPECT_TRUE(AuditHas("contact_key_added"));

  // The administrator trusts the partner's CA: the same entry is trusted and used at once.
  auto anchor = contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem")));
  ASSERT_THAT(anchor.status(), IsOk());
  EXPECT_EQ(anchor->fingerprint, OpensslFingerprint(pki_, "partnerca.pem"));
  EXPECT_EQ(contacts_.Get(alice(), key->id)->status, "trusted");
  auto usable = UsableSmime(kCarol);
  ASSERT_TRUE(usable.has_value());
  EXPECT_EQ(usable->fingerprint, key->fingerprint);

  // And removing the anchor stops it again.
  ASSERT_THAT(contacts_.DeleteTrustAnchor(root(), anchor->id), IsOk());
  EXPECT_EQ(contacts_.Get(alice(), key->id)->status, "needs-verification");
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
  EXPECT_TRUE(AuditHas("trust_anchor_added"));
  EXPECT_EQ(LastAuditType(), "trust_anchor_deleted");
}

TEST_F(ContactsTest, PersonalVerificationNeedsTheRightFingerprint) {
  ASSERT_TRUE(pki_.MakeCa("otherca"));
  const std::string pem = Leaf("dave", "dave@partner.example", "ec:P-256", "otherca");
  auto key = contacts_.Import(alice(), B(pem), KeyFormat::kCertificate, "");
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(key->algorithm, "EC prime256v1");
  ASSERT_EQ(key->status, "needs-verification");

  // One hex digit changed: refused, nothing changes.
  std::string wrong = key->fingerprint;
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  EXPECT_THAT(contacts_.Verify(alice(), key->id, wrong).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(contacts_.Verify(alice(), key->id, "").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(contacts_.Get(alice(), key->id)->status, "needs-verification");

  // As openssl prints it (upper case, colons) is the same fingerprint.
  const testutil::ToolResult printed =
      pki_.Openssl({"x509", "-in", "dave.pem", "-noout", "-fingerprint", "-sha256"});
  const std::string colons = printed.out.substr(printed.out.find('=') + 1);
  auto verified = contacts_.Verify(alice(), key->id, colons);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_EQ(verified->status, "trusted");
  EXPECT_TRUE(verified->verified_at.has_value());
  EXPECT_TRUE(UsableSmime("dave@partner.example").has_value());
  EXPECT_EQ(LastAuditType(), "contact_key_verified");

  // Another member can neither see nor verify it.
  const std::string totp = Enrol("bob@example.org");
  const AuthContext bob = LoggedIn("bob@example.org", totp);
  EXPECT_THAT(contacts_.Get(bob, key->id).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(contacts_.Verify(bob, key->id, key->fingerprint).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(contacts_.Delete(bob, key->id), StatusIs(ErrorCode::kNotFound));
}

TEST_F(ContactsTest, ReadsDerP7bAndSignedMail) {
  const std::string pem = Leaf("carol", kCarol);
  const std::string fingerprint = OpensslFingerprint(pki_, "carol.pem");
  ASSERT_TRUE(pki_.OpensslOk({"x509", "-in", "carol.pem", "-outform", "DER", "-out", "carol.der"}));
  ASSERT_TRUE(pki_.OpensslOk({"crl2pkcs7", "-nocrl", "-certfile", "carol.pem", "-certfile",
                              "partnerca.pem", "-outform", "DER", "-out", "carol.p7b"}));
  pki_.WriteFile("body.txt",
                 "From: Carol <carol@partner.example>\r\nTo: alice@example.org\r\n"
                 "Subject: hello\r\n\r\nHello Alice\r\n");
  ASSERT_TRUE(pki_.OpensslOk({"cms", "-sign", "-in", "body.txt", "-signer", "carol.pem", "-inkey",
                              "carol.key", "-certfile", "partnerca.pem", "-from",
                              "Carol <carol@partner.example>", "-to", "alice@example.org",
                              "-subject", "hello", "-out", "signed.eml"}));

  auto der = contacts_.Import(alice(), B(pki_.ReadFile("carol.der")), KeyFormat::kAuto, "");
  ASSERT_THAT(der.status(), IsOk());
  EXPECT_EQ(der->fingerprint, fingerprint);
  // The same key again, whatever the wrapping: Conflict, nothing added.
  EXPECT_THAT(contacts_.Import(alice(), B(pem), KeyFormat::kAuto, "").status(),
              StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(Listed(), 1u);
  ASSERT_THAT(contacts_.Delete(alice(), der->id), IsOk());
  EXPECT_EQ(LastAuditType(), "contact_key_deleted");
  EXPECT_EQ(Listed(), 0u);

  auto p7b = contacts_.Import(alice(), B(pki_.ReadFile("carol.p7b")), KeyFormat::kAuto, "");
  ASSERT_THAT(p7b.status(), IsOk());
  EXPECT_EQ(p7b->fingerprint, fingerprint);
  EXPECT_EQ(p7b->smime_capabilities, "");  // a certs-only .p7b was signed by nobody
  ASSERT_THAT(contacts_.Delete(alice(), p7b->id), IsOk());

  auto mail = contacts_.Import(alice(), B(pki_.ReadFile("signed.eml")), KeyFormat::kAuto, "");
  ASSERT_THAT(mail.status(), IsOk());
  EXPECT_EQ(mail->fingerprint, fingerprint);
  EXPECT_EQ(mail->source, store::ContactKeySource::kSignedMail);
  EXPECT_EQ(mail->address, kCarol);
  // The SMIMECapabilities of the mail's signature are recorded for the envelope choice:
  // openssl's default list has AES-256-CBC and no GCM.
  EXPECT_EQ(mail->smime_capabilities, "aes256-cbc");
  auto stored = store_->keys().GetContactKey(store::ContactKeyId::FromTrusted(mail->id));
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_EQ(stored->smime_capabilities, "aes256-cbc");
  // The chain the mail carried is kept: with the partner CA as an anchor, it is trusted.
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  EXPECT_EQ(contacts_.Get(alice(), mail->id)->status, "trusted");

  // A detached .p7s uploaded as it is counts as a signed mail's signature; without the
  // attribute (-nosmimecap) nothing is recorded.
  ASSERT_THAT(contacts_.Delete(alice(), mail->id), IsOk());
  ASSERT_TRUE(pki_.OpensslOk({"cms", "-sign", "-in", "body.txt", "-signer", "carol.pem", "-inkey",
                              "carol.key", "-nosmimecap", "-outform", "DER", "-out", "bare.p7s"}));
  auto bare = contacts_.Import(alice(), B(pki_.ReadFile("bare.p7s")), KeyFormat::kAuto, "");
  ASSERT_THAT(bare.status(), IsOk());
  EXPECT_EQ(bare->smime_capabilities, "");

  // A mail that is not signed carries no certificate.
  EXPECT_THAT(
      contacts_.Import(alice(), B(pki_.ReadFile("body.txt")), KeyFormat::kSignedMail, "").status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(ContactsTest, BadCertificatesAreRefusedWithTheirReasonAndNothingIsStored) {
  const std::string good = Leaf("carol", kCarol);
  std::string der_trailing;
  ASSERT_TRUE(pki_.OpensslOk({"x509", "-in", "carol.pem", "-outform", "DER", "-out", "c.der"}));
  der_trailing = pki_.ReadFile("c.der") + std::string(1, '\0');
  struct Case {
    std::string name;
    std::string bytes;
    std::string address;
    ErrorCode code;
    std::string slug;
  };
  const std::vector<Case> cases = {
      {"garbage", "hello, this is not a certificate", "", ErrorCode::kInvalidArgument,
       "not-a-certificate"},
      {"truncated PEM", good.substr(0, good.size() / 2), "", ErrorCode::kInvalidArgument,
       "not-a-certificate"},
      {"DER with a trailing byte", der_trailing, "", ErrorCode::kInvalidArgument,
       "not-a-certificate"},
      {"5 MB", std::string(5 << 20, 'A'), "", ErrorCode::kTooLarge, "too-large"},
      {"no emailProtection", Leaf("web", kCarol, "ec:P-256", "partnerca", "serverAuth"), "",
       ErrorCode::kInvalidArgument, "no-email-protection"},
      {"another address", good, "dave@partner.example", ErrorCode::kInvalidArgument,
       "address-mismatch"},
      {"RSA-1024", Leaf("weak", kCarol, "rsa:1024"), "", ErrorCode::kInvalidArgument, "weak-key"},
      {"private key", pki_.ReadFile("carol.key"), "", ErrorCode::kInvalidArgument,
       "private-key-material"},
  };
  for (const Case& c : cases) {
    const Status s = contacts_.Import(alice(), B(c.bytes), KeyFormat::kAuto, c.address).status();
    EXPECT_THAT(s, StatusIs(c.code)) << c.name;
    EXPECT_THAT(s.message(), HasSubstr("(" + c.slug + ")")) << c.name;
    EXPECT_FALSE(s.message().find("PRIVATE KEY") != std::string::npos) << c.name;
  }
  // An expired certificate: valid for one day, imported three days later.
  const std::string short_lived =
      Leaf("brief", kCarol, "ec:P-256", "partnerca", "emailProtection", 1);
  clock_.Advance(72h);
  const Status expired = contacts_.Import(alice(), B(short_lived), KeyFormat::kAuto, "").status();
  EXPECT_THAT(expired, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(expired.message(), HasSubstr("(expired)"));

  EXPECT_EQ(Listed(), 0u);
  EXPECT_FALSE(AuditHas("contact_key_added"));
}

TEST(RecordedCapabilitiesTest, RoundTripAndUnknownWords) {
  using internal::CapabilitiesRecord;
  using internal::RecordedCapabilities;
  EXPECT_EQ(CapabilitiesRecord(std::nullopt), "");
  EXPECT_EQ(CapabilitiesRecord(smime::RecipientCapabilities{}), "none");
  EXPECT_EQ(CapabilitiesRecord(smime::RecipientCapabilities{.aes256_gcm = true}), "aes256-gcm");
  EXPECT_EQ(CapabilitiesRecord(smime::RecipientCapabilities{true, true}), "aes256-gcm aes256-cbc");
  EXPECT_FALSE(RecordedCapabilities("").has_value());
  const auto none = RecordedCapabilities("none");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->aes256_gcm || none->aes256_cbc);
  const auto both = RecordedCapabilities("aes256-gcm aes256-cbc");
  ASSERT_TRUE(both.has_value());
  EXPECT_TRUE(both->aes256_gcm && both->aes256_cbc);
  const auto odd = RecordedCapabilities("rc2 aes256-cbc  des");
  ASSERT_TRUE(odd.has_value());
  EXPECT_FALSE(odd->aes256_gcm);
  EXPECT_TRUE(odd->aes256_cbc);
}

TEST_F(ContactsTest, ExpiryChangesRoutingAtOnce) {
  const std::string pem = Leaf("carol", kCarol, "ec:P-256", "partnerca", "emailProtection", 2);
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  auto key = contacts_.Import(alice(), B(pem), KeyFormat::kAuto, "");
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(key->status, "trusted");
  EXPECT_TRUE(UsableSmime(kCarol).has_value());
  clock_.Advance(72h);
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
  auto later = contacts_.Get(alice(), key->id);
  ASSERT_THAT(later.status(), IsOk());
  EXPECT_EQ(later->status, "refused");
  EXPECT_EQ(later->problem, "expired");
}

TEST_F(ContactsTest, ASendChecksEachCertificateOnceAndJudgesEachEntryAsAlone) {
  // One certificate naming three addresses and imported for each (as a partner's shared
  // certificate is), a self-signed one verified for one address and not for another, one that
  // expires in two days, and entries the checks of the certificate alone cannot decide: another
  // address, a revoked copy.
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  const std::string shared = Leaf("shared",
                                  "a@partner.example,email:b@partner.example,"
                                  "email:c@partner.example");
  const std::string self =
      Leaf("self", "d@partner.example,email:e@partner.example", "ec:P-256", "");
  const std::string brief =
      Leaf("brief", "f@partner.example", "ec:P-256", "partnerca", "emailProtection", 2);
  for (const std::string address : {"a@partner.example", "b@partner.example", "c@partner.example"})
    ASSERT_THAT(contacts_.Import(alice(), B(shared), KeyFormat::kCertificate, address).status(),
                IsOk());
  auto d = contacts_.Import(alice(), B(self), KeyFormat::kCertificate, "d@partner.example");
  ASSERT_THAT(d.status(), IsOk());
  ASSERT_THAT(contacts_.Verify(alice(), d->id, d->fingerprint).status(), IsOk());
  ASSERT_THAT(
      contacts_.Import(alice(), B(self), KeyFormat::kCertificate, "e@partner.example").status(),
      IsOk());
  ASSERT_THAT(contacts_.Import(alice(), B(brief), KeyFormat::kCertificate, "").status(), IsOk());
  std::vector<store::ContactKeyRecord> entries;
  for (const std::string address :
       {"a@partner.example", "b@partner.example", "c@partner.example", "d@partner.example",
        "e@partner.example", "f@partner.example"}) {
    auto found = store_->keys().FindContactKeys(alice().user.id, address);
    ASSERT_THAT(found.status(), IsOk());
    ASSERT_EQ(found->size(), 1u) << address;
    entries.push_back(found->front());
  }
  store::ContactKeyRecord elsewhere = entries[0];
  elsewhere.address = "mallory@partner.example";
  entries.push_back(elsewhere);
  store::ContactKeyRecord revoked = entries[1];
  revoked.revoked_at = clock_.Now() - std::chrono::seconds(1);
  entries.push_back(revoked);

  for (const TimePoint at : {clock_.Now(), clock_.Now() + 72h}) {
    internal::ContactAnchors anchors(services_, std::string(smime::kDebianCaBundlePath));
    auto current = anchors.Current();
    ASSERT_THAT(current.status(), IsOk());
    internal::ContactCertificateAssessor assessor(at);
    uint64_t paths = 0;  // made by the assessor
    std::vector<internal::KeyStatus> statuses;
    std::vector<std::string> problems;
    for (const store::ContactKeyRecord& entry : entries) {
      const uint64_t before = smime::CertificatePathValidations();
      auto assessed = assessor.Assess(entry, anchors);
      paths += smime::CertificatePathValidations() - before;
      ASSERT_THAT(assessed.status(), IsOk());
      const internal::KeyAssessment alone = internal::AssessContactKey(entry, *current, at);
      EXPECT_EQ(assessed->assessment.status, alone.status) << entry.address;
      EXPECT_EQ(assessed->assessment.problem, alone.problem) << entry.address;
      EXPECT_EQ(assessed->assessment.detail, alone.detail) << entry.address;
      EXPECT_EQ(assessed->assessment.chains, alone.chains) << entry.address;
      if (alone.status == internal::KeyStatus::kTrusted) {
        ASSERT_TRUE(assessed->leaf.has_value()) << entry.address;
        EXPECT_EQ(assessed->leaf->der(), entry.material);
      }
      statuses.push_back(assessed->assessment.status);
      problems.push_back(assessed->assessment.problem);
    }
    // Three distinct certificates, each parsed and checked once for all its entries (the
    // expired one fails before its path is looked at).
    const bool later = at != clock_.Now();
    EXPECT_EQ(assessor.certificates_examined(), 3u);
    EXPECT_EQ(paths, later ? 2u : 3u);
    using internal::KeyStatus;
    EXPECT_EQ(statuses[0], KeyStatus::kTrusted);
    EXPECT_EQ(statuses[2], KeyStatus::kTrusted);
    EXPECT_EQ(statuses[3], KeyStatus::kTrusted);            // verified, does not chain
    EXPECT_EQ(statuses[4], KeyStatus::kNeedsVerification);  // same certificate, not verified
    EXPECT_EQ(problems[5], later ? "expired" : "") << "f";
    EXPECT_EQ(problems[6], "address-mismatch");
    EXPECT_EQ(problems[7], "revoked");
  }
}

TEST_F(ContactsTest, RevokingChangesRoutingAtOnceAndKeepsTheReason) {
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  auto key = contacts_.Import(alice(), B(Leaf("carol", kCarol)), KeyFormat::kAuto, "");
  ASSERT_THAT(key.status(), IsOk());
  ASSERT_TRUE(UsableSmime(kCarol).has_value());

  // A reason is required, printable and bounded; nothing changes when it is refused.
  EXPECT_THAT(contacts_.Revoke(alice(), key->id, "").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(contacts_.Revoke(alice(), key->id, "bad\nline").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      contacts_.Revoke(alice(), key->id, std::string(kMaxRevokeReasonBytes + 1, 'x')).status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(UsableSmime(kCarol).has_value());
  // Another member's or an unknown id: NotFound.
  EXPECT_THAT(contacts_.Revoke(root(), key->id, "not mine").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(contacts_.Revoke(alice(), std::string(32, 'f'), "x").status(),
              StatusIs(ErrorCode::kNotFound));

  auto revoked = contacts_.Revoke(alice(), key->id, "Carol lost her laptop");
  ASSERT_THAT(revoked.status(), IsOk());
  EXPECT_EQ(revoked->status, "refused");
  EXPECT_EQ(revoked->problem, "revoked");
  EXPECT_EQ(revoked->revoked_reason, "Carol lost her laptop");
  EXPECT_EQ(revoked->revoked_at, clock_.Now());
  // At once, with no time passing.
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
  EXPECT_EQ(LastAuditType(), "contact_key_revoked");
  // Still listed, with its reason.
  auto listed = contacts_.Get(alice(), key->id);
  ASSERT_THAT(listed.status(), IsOk());
  EXPECT_EQ(listed->revoked_reason, "Carol lost her laptop");
  EXPECT_EQ(listed->status, "refused");
  EXPECT_THAT(contacts_.Revoke(alice(), key->id, "again").status(), StatusIs(ErrorCode::kConflict));
  // Personal verification cannot bring it back.
  EXPECT_THAT(contacts_.Verify(alice(), key->id, key->fingerprint).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
}

TEST_F(ContactsTest, AdministratorsRevokeOrganisationKeys) {
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  auto org =
      contacts_.ImportOrganisationKey(root(), B(Leaf("carol-org", kCarol)), KeyFormat::kAuto, "");
  ASSERT_THAT(org.status(), IsOk());
  ASSERT_TRUE(UsableSmime(kCarol).has_value());
  EXPECT_THAT(contacts_.RevokeOrganisationKey(alice(), org->id, "no").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  // A member cannot revoke it through the member use case either.
  EXPECT_THAT(contacts_.Revoke(alice(), org->id, "no").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_TRUE(UsableSmime(kCarol).has_value());
  auto revoked = contacts_.RevokeOrganisationKey(root(), org->id, "partner rolled its keys");
  ASSERT_THAT(revoked.status(), IsOk());
  EXPECT_EQ(revoked->revoked_reason, "partner rolled its keys");
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
  EXPECT_EQ(LastAuditType(), "organisation_key_revoked");
  auto listed = contacts_.ListOrganisationKeys(root());
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].problem, "revoked");
}

// The key holder revokes their key with gpg's revocation certificate; the member uploads the
// revoked key again: the entry is revoked at once, and another member's copy is not touched.
TEST_F(ContactsTest, AnOpenPgpRevocationCertificateRevokesTheStoredKey) {
  pgp::testing::GnuPg gpg;
  const std::string fpr = gpg.MakeKey(kCarol, "ed25519", "cert,sign", "cv25519");
  auto key = contacts_.Import(alice(), B(gpg.Export(fpr)), KeyFormat::kAuto, kCarol);
  ASSERT_THAT(key.status(), IsOk());
  ASSERT_TRUE(UsableOpenPgp(kCarol).has_value());
  auto roots = contacts_.Import(root(), B(gpg.Export(fpr)), KeyFormat::kAuto, kCarol);
  ASSERT_THAT(roots.status(), IsOk());

  std::string rev = testutil::ReadFileBytes(gpg.dir() + "/gnupg/openpgp-revocs.d/" + fpr + ".rev");
  for (size_t at = rev.find(":-----"); at != std::string::npos; at = rev.find(":-----")) {
    rev.erase(at, 1);
  }
  testutil::WriteFileBytes(gpg.Path("key.rev"), rev);
  ASSERT_EQ(gpg.Gpg({"--import", "key.rev"}).exit_code, 0);
  const std::string revoked_key = gpg.Export(fpr);

  // For an address with no entry of this key it is refused as any revoked key is.
  const Status other =
      contacts_.Import(alice(), B(revoked_key), KeyFormat::kAuto, "dave@partner.example").status();
  EXPECT_THAT(other, StatusIs(ErrorCode::kInvalidArgument));

  auto revoked = contacts_.Import(alice(), B(revoked_key), KeyFormat::kAuto, kCarol);
  ASSERT_THAT(revoked.status(), IsOk());
  EXPECT_EQ(revoked->id, key->id);
  EXPECT_EQ(revoked->status, "refused");
  EXPECT_EQ(revoked->problem, "revoked");
  EXPECT_EQ(revoked->revoked_reason, kRevocationCertificateReason);
  EXPECT_FALSE(UsableOpenPgp(kCarol).has_value());
  EXPECT_EQ(LastAuditType(), "contact_key_revoked");
  EXPECT_EQ(Listed(), 1u);  // nothing new stored
  // Uploading it again changes nothing.
  auto again = contacts_.Import(alice(), B(revoked_key), KeyFormat::kAuto, kCarol);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->revoked_at, revoked->revoked_at);
  // The administrator's own copy (a member entry of theirs) is not revoked by Alice's upload.
  auto theirs = contacts_.Get(root(), roots->id);
  ASSERT_THAT(theirs.status(), IsOk());
  EXPECT_FALSE(theirs->revoked_at.has_value());
}

TEST_F(ContactsTest, OpenPgpKeysFromGpgAndSq) {
  pgp::testing::GnuPg gpg;
  const std::string fpr = gpg.MakeKey(kCarol, "ed25519", "cert,sign", "cv25519");
  auto from_gpg = contacts_.Import(alice(), B(gpg.Export(fpr)), KeyFormat::kAuto, kCarol);
  ASSERT_THAT(from_gpg.status(), IsOk());
  EXPECT_EQ(from_gpg->kind, store::ContactKeyKind::kOpenPgp);
  EXPECT_EQ(from_gpg->fingerprint, fpr);
  EXPECT_EQ(from_gpg->status, "trusted");
  auto usable = UsableOpenPgp(kCarol);
  ASSERT_TRUE(usable.has_value());
  EXPECT_EQ(usable->fingerprint, fpr);
  EXPECT_FALSE(UsableSmime(kCarol).has_value());

  // Binary, made by sq.
  ASSERT_EQ(
      gpg.Sq({"key", "generate", "--userid", "<erin@partner.example>", "--export", "erin.key"})
          .exit_code,
      0);
  ASSERT_EQ(
      gpg.Sq({"key", "extract-cert", "--binary", "--output", "erin.cert", "erin.key"}).exit_code,
      0);
  const std::string cert = testutil::ReadFileBytes(gpg.Path("erin.cert"));
  auto from_sq = contacts_.Import(alice(), B(cert), KeyFormat::kAuto, "erin@partner.example");
  ASSERT_THAT(from_sq.status(), IsOk());
  EXPECT_TRUE(UsableOpenPgp("erin@partner.example").has_value());

  // Deleting changes routing at once.
  ASSERT_THAT(contacts_.Delete(alice(), from_gpg->id), IsOk());
  EXPECT_FALSE(UsableOpenPgp(kCarol).has_value());
  EXPECT_TRUE(UsableOpenPgp("erin@partner.example").has_value());
}

TEST_F(ContactsTest, BadOpenPgpKeysAreRefusedAndNothingIsStored) {
  pgp::testing::GnuPg gpg;
  const std::string sign_only = gpg.MakeKey("frank@partner.example", "ed25519", "cert,sign");
  const std::string good = gpg.MakeKey(kCarol, "ed25519", "cert,sign", "cv25519");
  const std::string old = gpg.MakeKey("gina@partner.example", "ed25519", "cert,sign", "cv25519",
                                      "1y", {"--faked-system-time", "20200101T000000!"});
  const std::string secret = gpg.Gpg({"--armor", "--export-secret-keys", good}).out;
  ASSERT_THAT(secret, HasSubstr("PRIVATE KEY BLOCK"));
  const std::string revoked_fpr =
      gpg.MakeKey("hank@partner.example", "ed25519", "cert,sign", "cv25519");
  std::string rev =
      testutil::ReadFileBytes(gpg.dir() + "/gnupg/openpgp-revocs.d/" + revoked_fpr + ".rev");
  for (size_t at = rev.find(":-----"); at != std::string::npos; at = rev.find(":-----")) {
    rev.erase(at, 1);
  }
  testutil::WriteFileBytes(gpg.Path("key.rev"), rev);
  ASSERT_EQ(gpg.Gpg({"--import", "key.rev"}).exit_code, 0);

  struct Case {
    std::string name;
    std::string bytes;
    std::string address;
    std::string slug;
  };
  const std::vector<Case> cases = {
      {"no encryption subkey", gpg.Export(sign_only), "frank@partner.example", "no-encryption-key"},
      {"expired", gpg.Export(old), "gina@partner.example", "expired"},
      {"revoked", gpg.Export(revoked_fpr), "hank@partner.example", "revoked"},
      {"other user ID", gpg.Export(good), "dave@partner.example", "address-mismatch"},
      {"secret key", secret, kCarol, "secret-key"},
  };
  for (const Case& c : cases) {
    const Status s = contacts_.Import(alice(), B(c.bytes), KeyFormat::kAuto, c.address).status();
    EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument)) << c.name;
    EXPECT_THAT(s.message(), HasSubstr("(" + c.slug + ")")) << c.name;
  }
  // Declared as OpenPGP, a secret key is refused the same way.
  EXPECT_THAT(contacts_.Import(alice(), B(secret), KeyFormat::kOpenPgp, kCarol).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // Without an address an OpenPGP key cannot be filed.
  EXPECT_THAT(contacts_.Import(alice(), B(gpg.Export(good)), KeyFormat::kAuto, "").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(Listed(), 0u);
  EXPECT_FALSE(AuditHas("contact_key_added"));
}

TEST_F(ContactsTest, OrganisationKeysAreSharedButMembersOwnComeFirst) {
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  const std::string org_pem = Leaf("carol-org", kCarol, "rsa:3072");
  EXPECT_THAT(contacts_.ImportOrganisationKey(alice(), B(org_pem), KeyFormat::kAuto, "").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  auto org = contacts_.ImportOrganisationKey(root(), B(org_pem), KeyFormat::kAuto, "");
  ASSERT_THAT(org.status(), IsOk());
  EXPECT_TRUE(org->organisation);
  EXPECT_EQ(LastAuditType(), "organisation_key_added");

  auto listed = contacts_.List(alice());
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].organisation);
  EXPECT_EQ(UsableSmime(kCarol)->fingerprint, org->fingerprint);
  // A member may not delete it.
  EXPECT_THAT(contacts_.Delete(alice(), org->id), StatusIs(ErrorCode::kNotFound));

  const std::string own_pem = Leaf("carol-own", kCarol);
  auto own = contacts_.Import(alice(), B(own_pem), KeyFormat::kAuto, "");
  ASSERT_THAT(own.status(), IsOk());
  EXPECT_EQ(UsableSmime(kCarol)->fingerprint, own->fingerprint);
  ASSERT_THAT(contacts_.Delete(alice(), own->id), IsOk());
  EXPECT_EQ(UsableSmime(kCarol)->fingerprint, org->fingerprint);

  ASSERT_THAT(contacts_.DeleteOrganisationKey(root(), org->id), IsOk());
  EXPECT_FALSE(UsableSmime(kCarol).has_value());
  EXPECT_TRUE(contacts_.ListOrganisationKeys(root())->empty());
  EXPECT_THAT(contacts_.ListOrganisationKeys(alice()).status(),
              StatusIs(ErrorCode::kPermissionDenied));
}

TEST_F(ContactsTest, TrustAnchorsMustBeCaCertificatesAndAdministratorsOnly) {
  const std::string leaf = Leaf("carol", kCarol);
  const Status not_ca = contacts_.AddTrustAnchor(root(), B(leaf)).status();
  EXPECT_THAT(not_ca, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(not_ca.message(), HasSubstr("(not-a-ca)"));
  EXPECT_THAT(contacts_.AddTrustAnchor(root(), B("garbage")).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  const std::string ca = pki_.ReadFile("partnerca.pem");
  EXPECT_THAT(contacts_.AddTrustAnchor(alice(), B(ca)).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  ASSERT_THAT(contacts_.AddTrustAnchor(root(), B(ca)).status(), IsOk());
  EXPECT_THAT(contacts_.AddTrustAnchor(root(), B(ca)).status(), StatusIs(ErrorCode::kConflict));
  auto anchors = contacts_.ListTrustAnchors(root());
  ASSERT_THAT(anchors.status(), IsOk());
  ASSERT_EQ(anchors->size(), 1u);
  EXPECT_EQ((*anchors)[0].subject, "CN=partnerca");
  EXPECT_THAT(contacts_.ListTrustAnchors(alice()).status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(contacts_.DeleteTrustAnchor(root(), std::string(32, 'f')),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(ContactsTest, WithoutTheSystemBundleTheConfiguredAnchorsStillCount) {
  KeyDirectoryOptions options;
  options.ca_bundle_path = dir_.path() + "/no-such-bundle.crt";
  Contacts contacts(services_, options);
  auto key = contacts.Import(alice(), B(Leaf("carol", kCarol)), KeyFormat::kAuto, "");
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(key->status, "needs-verification");
  ASSERT_THAT(contacts.AddTrustAnchor(root(), B(pki_.ReadFile("partnerca.pem"))).status(), IsOk());
  EXPECT_EQ(contacts.Get(alice(), key->id)->status, "trusted");
  // Policy checks still apply with nothing to chain to.
  const Status weak =
      contacts.Import(alice(), B(Leaf("weak", kCarol, "rsa:1024")), KeyFormat::kAuto, "").status();
  EXPECT_THAT(weak.message(), HasSubstr("(weak-key)"));
}

}  // namespace
}  // namespace sealpost::app
