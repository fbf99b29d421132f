// Master-key rotation (app/master_key_rotation.h) over real rows: TOTP seeds made by enrolment,
// mail queued by sign-up, the audit key and the platform PKI made by their own loaders.
#include "app/master_key_rotation.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "app/app_test_fixture.h"
#include "app/internal/secure_copies.h"
#include "audit/audit_log.h"
#include "store/secure_delivery_store.h"
#include "trust/platform_pki.h"

namespace sealpost::app {
namespace {

using ::testing::Not;

class MasterKeyRotationTest : public AppTest {
 protected:
  void SetUp() override {
    totp_ = Enrol("alice@example.org");
    // A sign-up whose confirmation mail stays queued (nobody delivers it).
    ASSERT_THAT(accounts_.SignUp(
                    {"bob@example.org", crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
                IsOk());
    auto audit_key = audit::LoadOrCreateAuditKey(*store_, master_);
    ASSERT_THAT(audit_key.status(), IsOk());
    audit_public_ = audit_key->verify_key();
    auto pki = trust::LoadOrCreatePlatformPki(*store_, master_, clock_);
    ASSERT_THAT(pki.status(), IsOk());
    root_der_ = pki->root.certificate.der();
    auto rows = CheckAllOpenUnder(*store_, master_);
    ASSERT_THAT(rows.status(), IsOk());
    // 1 TOTP seed, ≥ 1 queued mail, audit key, 4 PKI keys.
    ASSERT_GE(*rows, 7u);
    rows_ = *rows;
  }

  // Everything the server loads at start-up, under `key`.
  void ExpectServerStateOpensUnder(const keys::MasterKey& key) {
    auto audit_key = audit::LoadOrCreateAuditKey(*store_, key);
    ASSERT_THAT(audit_key.status(), IsOk());
    EXPECT_TRUE(audit_public_ && audit_key->verify_key() == *audit_public_);
    auto pki = trust::LoadOrCreatePlatformPki(*store_, key, clock_);
    ASSERT_THAT(pki.status(), IsOk());
    EXPECT_EQ(pki->root.certificate.der(), root_der_);
  }

  keys::MasterKey new_key_ = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  std::string totp_;
  Bytes root_der_;
  std::optional<crypto::VerifyKey> audit_public_;
  size_t rows_ = 0;
};

TEST_F(MasterKeyRotationTest, MovesEveryRowToTheNewKeyAndTheOldOneOpensNothing) {
  auto report = RewrapMasterWraps(faults_, &master_, new_key_);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->rewrapped, rows_);
  EXPECT_EQ(report->already_new, 0u);

  auto opened = CheckAllOpenUnder(*store_, new_key_);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(*opened, rows_);
  EXPECT_THAT(CheckAllOpenUnder(*store_, master_).status(), StatusIs(ErrorCode::kCorruption));
  EXPECT_THAT(audit::LoadOrCreateAuditKey(*store_, master_).status(), Not(IsOk()));
  ExpectServerStateOpensUnder(new_key_);

  // The TOTP seed and the queued mail work through the use cases under the new key.
  Services rotated{faults_, *blobs_, new_key_, audit_, clock_, rng_, mailer_, throttle_, Config()};
  Accounts accounts(rotated);
  clock_.Advance(31s);
  auto login = accounts.Login("alice@example.org", kPassword, "127.0.0.1", "TestBrowser/1.0");
  ASSERT_THAT(login.status(), IsOk());
  ASSERT_TRUE(login->login_ticket);
  EXPECT_THAT(accounts
                  .CompleteSecondFactor(login->login_ticket->view(), Code(totp_, 0), "127.0.0.1",
                                        "TestBrowser/1.0")
                  .status(),
              IsOk());
  const size_t sent_before = mailer_.sent.size();
  auto delivered = MailDeliverer(rotated).DeliverDue(1000);
  ASSERT_THAT(delivered.status(), IsOk());
  EXPECT_GT(mailer_.sent.size(), sent_before);
  EXPECT_NE(mailer_.sent.back().to.str().find("bob@example.org"), std::string::npos);

  ASSERT_THAT(RecordRotation(faults_, clock_.Now(), *report, *opened), IsOk());
  EXPECT_TRUE(AuditHas("platform.master_key_rotated"));
  const auto events = AuditEvents();
  EXPECT_NE(events.back().details.find(fmt::format("\"rewrapped\":{}", rows_)), std::string::npos)
      << events.back().details;

  // A second run finds nothing to do.
  auto again = RewrapMasterWraps(faults_, &master_, new_key_);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->rewrapped, 0u);
  auto now_rows = CheckAllOpenUnder(faults_, new_key_);
  ASSERT_THAT(now_rows.status(), IsOk());
  EXPECT_EQ(again->already_new, *now_rows);
}

TEST_F(MasterKeyRotationTest, AnInterruptedRunIsFinishedByTheNextOne) {
  RewrapOptions options;
  options.batch_rows = 1;
  size_t batches = 0;
  options.after_batch = [&](size_t) { ++batches; };
  // A run "killed" after three rows: the test stops it by failing the store from then on.
  faults_.FailWrites(Unavailable("killed"), -1, /*skip=*/3);
  EXPECT_THAT(RewrapMasterWraps(faults_, &master_, new_key_, options).status(), Not(IsOk()));
  EXPECT_EQ(batches, 3u);
  faults_.StopFailing();

  // Half and half now: neither key alone opens everything.
  EXPECT_THAT(CheckAllOpenUnder(*store_, master_).status(), StatusIs(ErrorCode::kCorruption));
  EXPECT_THAT(CheckAllOpenUnder(*store_, new_key_).status(), StatusIs(ErrorCode::kCorruption));

  auto report = RewrapMasterWraps(faults_, &master_, new_key_, options);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->already_new, 3u);
  EXPECT_EQ(report->rewrapped, rows_ - 3);
  ExpectServerStateOpensUnder(new_key_);

  // Once everything is under the new key, the old one is not needed any more.
  auto without_old = RewrapMasterWraps(faults_, nullptr, new_key_);
  ASSERT_THAT(without_old.status(), IsOk());
  EXPECT_EQ(without_old->already_new, rows_);
}

TEST_F(MasterKeyRotationTest, RefusesWhatTheOldKeyCannotOpen) {
  // Without the old key, rows still under it cannot move.
  EXPECT_THAT(RewrapMasterWraps(faults_, nullptr, new_key_).status(),
              StatusIs(ErrorCode::kConflict));
  // A wrong "old" key opens nothing: nothing is written.
  const keys::MasterKey stranger = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  EXPECT_THAT(RewrapMasterWraps(faults_, &stranger, new_key_).status(),
              StatusIs(ErrorCode::kCorruption));
  auto opened = CheckAllOpenUnder(*store_, master_);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(*opened, rows_);
}

TEST_F(MasterKeyRotationTest, ADamagedRowIsNamedAndStopsTheRotation) {
  auto key = store_->platform().GetPlatformKey("audit-signing");
  ASSERT_THAT(key.status(), IsOk());
  Bytes damaged = key->wrapped_secret;
  damaged.back() ^= 1;  // flip one bit of the tag
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.key_rotation().ReplaceMasterWrapped(store::MasterWrappedKind::kPlatformKey,
                                                  "audit-signing", key->wrapped_secret, damaged);
  }),
              IsOk());
  auto report = RewrapMasterWraps(faults_, &master_, new_key_);
  ASSERT_THAT(report.status(), StatusIs(ErrorCode::kCorruption));
  EXPECT_NE(report.status().message().find("audit-signing"), std::string::npos);
}

// A queued secure copy (app/secure_delivery.h) holds a whole message under the master key: the
// rotation must move it too, or the deliverer could never open it again.
TEST_F(MasterKeyRotationTest, MovesQueuedSecureCopies) {
  store::SecureCopyRecord copy;
  copy.id = platform::NewId<SecureCopyId>(rng_);
  copy.message_id = platform::NewId<MessageId>(rng_);
  copy.sender_id = platform::NewId<UserId>(rng_);
  copy.recipient = "carol@partner.example";
  copy.method = "tls";
  copy.created_at = copy.next_attempt_at = clock_.Now();
  const std::string raw = "Subject: queued\r\n\r\nthe copy\r\n";
  copy.sealed_copy = master_.Wrap(AsBytes(raw), internal::SecureCopyPurpose(copy.id));
  ASSERT_THAT(
      store_->Write([&](store::WriteTxn& tx) { return tx.secure_delivery().EnqueueCopy(copy); }),
      IsOk());

  auto report = RewrapMasterWraps(faults_, &master_, new_key_);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->rewrapped, rows_ + 1);

  auto rows =
      store_->key_rotation().ListMasterWrapped(store::MasterWrappedKind::kSecureCopy, "", 10);
  ASSERT_THAT(rows.status(), IsOk());
  ASSERT_EQ(rows->size(), 1u);
  auto opened = new_key_.Unwrap((*rows)[0].wrapped, internal::SecureCopyPurpose(copy.id));
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(std::string(opened->AsStringView()), raw);
  EXPECT_THAT(master_.Unwrap((*rows)[0].wrapped, internal::SecureCopyPurpose(copy.id)).status(),
              Not(IsOk()));
}

}  // namespace
}  // namespace sealpost::app
