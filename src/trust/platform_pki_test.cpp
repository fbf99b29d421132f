#include "trust/platform_pki.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "crypto/aead.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::trust {
namespace {

class PlatformPkiTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto s = store::sqlite::OpenSqliteStore(dir_.path() + "/pki.db");
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  // Edits the database behind the store's back, as an attacker with file access would.
  void Sql(const std::string& sql) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/pki.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_free(error);
    sqlite3_close(db);
    Reopen();
  }

  Result<PlatformPki> Load() { return LoadOrCreatePlatformPki(*store_, master_, clock_); }

  testutil::TempDir dir_;
  platform::FakeClock clock_{std::chrono::system_clock::now()};
  keys::MasterKey master_ = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  std::unique_ptr<store::Store> store_;
};

TEST_F(PlatformPkiTest, FirstStartCreatesAndLaterStartsLoadTheSame) {
  auto first = Load();
  ASSERT_THAT(first.status(), IsOk());
  Reopen();
  auto again = Load();
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->root.certificate, first->root.certificate);
  EXPECT_EQ(again->issuing.certificate, first->issuing.certificate);
  EXPECT_EQ(again->evidence_signer.certificate, first->evidence_signer.certificate);
  EXPECT_EQ(again->tsa.certificate, first->tsa.certificate);
  EXPECT_THAT(smime::CheckKeyMatches(first->tsa.certificate, again->tsa.key), IsOk());
  EXPECT_THAT(smime::CheckKeyMatches(first->root.certificate, again->root.key), IsOk());
  ASSERT_EQ(first->Chain().size(), 2u);
  EXPECT_EQ(first->Chain()[0], first->issuing.certificate);

  // The stored chain is one openssl accepts, with the right purposes.
  const std::string d = dir_.path();
  testutil::WriteTestFile(d, "root.pem", first->root.certificate.ToPem());
  testutil::WriteTestFile(d, "issuing.pem", first->issuing.certificate.ToPem());
  testutil::WriteTestFile(d, "tsa.pem", first->tsa.certificate.ToPem());
  testutil::WriteTestFile(d, "evidence.pem", first->evidence_signer.certificate.ToPem());
  const auto tsa = testutil::RunTool({"openssl", "verify", "-CAfile", "root.pem", "-untrusted",
                                      "issuing.pem", "-purpose", "timestampsign", "tsa.pem"},
                                     d);
  EXPECT_EQ(tsa.exit_code, 0) << tsa.output();
  const auto evidence = testutil::RunTool(
      {"openssl", "verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "evidence.pem"}, d);
  EXPECT_EQ(evidence.exit_code, 0) << evidence.output();
}

TEST_F(PlatformPkiTest, KeysAreWrappedUnderTheMasterKey) {
  ASSERT_THAT(Load().status(), IsOk());
  auto row = store_->platform().GetPlatformKey("pki-tsa");
  ASSERT_THAT(row.status(), IsOk());
  // No PKCS#8 key in the clear: the secret is an AEAD frame, the public part a certificate.
  EXPECT_THAT(smime::CertificateKey::FromPkcs8Der(row->wrapped_secret).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(smime::Certificate::FromDer(row->public_key).status(), IsOk());

  const keys::MasterKey other = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  EXPECT_THAT(LoadOrCreatePlatformPki(*store_, other, clock_).status(),
              StatusIs(ErrorCode::kCorruption));
}

TEST_F(PlatformPkiTest, SwappedOrEditedRowsAreRefused) {
  ASSERT_THAT(Load().status(), IsOk());
  // The evidence certificate put in place of the TSA's: the TSA key no longer matches.
  Sql("UPDATE platform_keys SET public_key = (SELECT public_key FROM platform_keys WHERE name = "
      "'pki-evidence-signer') WHERE name = 'pki-tsa'");
  EXPECT_THAT(Load().status(), StatusIs(ErrorCode::kCorruption));
}

TEST_F(PlatformPkiTest, WrappedKeysCannotMoveBetweenRows) {
  ASSERT_THAT(Load().status(), IsOk());
  // Both columns of the root moved into the issuing CA's row: the purpose binding refuses it.
  Sql("UPDATE platform_keys SET public_key = (SELECT public_key FROM platform_keys WHERE name = "
      "'pki-root-ca'), wrapped_secret = (SELECT wrapped_secret FROM platform_keys WHERE name = "
      "'pki-root-ca') WHERE name = 'pki-issuing-ca'");
  EXPECT_THAT(Load().status(), StatusIs(ErrorCode::kCorruption));
}

TEST_F(PlatformPkiTest, AMissingLeafIsReissuedAMissingCaIsCorruption) {
  auto first = Load();
  ASSERT_THAT(first.status(), IsOk());
  Sql("DELETE FROM platform_keys WHERE name = 'pki-tsa'");
  auto renewed = Load();
  ASSERT_THAT(renewed.status(), IsOk());
  EXPECT_EQ(renewed->root.certificate, first->root.certificate);
  EXPECT_FALSE(renewed->tsa.certificate == first->tsa.certificate);
  EXPECT_THAT(smime::CheckIssuedBy(renewed->tsa.certificate, first->issuing.certificate), IsOk());

  Sql("DELETE FROM platform_keys WHERE name = 'pki-root-ca'");
  EXPECT_THAT(Load().status(), StatusIs(ErrorCode::kCorruption));
}

TEST_F(PlatformPkiTest, ConcurrentFirstStartsAgree) {
  Result<PlatformPki> a = Internal("not run");
  Result<PlatformPki> b = Internal("not run");
  std::thread ta([&] { a = Load(); });
  std::thread tb([&] { b = Load(); });
  ta.join();
  tb.join();
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(a->root.certificate, b->root.certificate);
  EXPECT_EQ(a->tsa.certificate, b->tsa.certificate);
}

}  // namespace
}  // namespace sealpost::trust
