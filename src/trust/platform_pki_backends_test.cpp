// The platform PKI on both store backends, with independent stores on one database standing in
// for several `serve` processes: the PostgreSQL cases need the CTest fixture `postgres`.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/aead.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"
#include "trust/platform_pki.h"

namespace sealpost::trust {
namespace {

using store::testing::Backend;

class PlatformPkiBackendsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = store::testing::TestDatabase::Create(GetParam());
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(*db);
  }

  std::unique_ptr<store::Store> Open() {
    auto s = db_->Open();
    EXPECT_THAT(s.status(), IsOk());
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::unique_ptr<store::testing::TestDatabase> db_;
  platform::FakeClock clock_{std::chrono::system_clock::now()};
  keys::MasterKey master_ = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
};

INSTANTIATE_TEST_SUITE_P(Backends, PlatformPkiBackendsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return store::testing::BackendName(info.param); });

TEST_P(PlatformPkiBackendsTest, ReloadsTheSamePki) {
  auto first_store = Open();
  ASSERT_NE(first_store, nullptr);
  auto first = LoadOrCreatePlatformPki(*first_store, master_, clock_);
  ASSERT_THAT(first.status(), IsOk());
  first_store.reset();
  auto again_store = Open();
  ASSERT_NE(again_store, nullptr);
  auto again = LoadOrCreatePlatformPki(*again_store, master_, clock_);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->root.certificate, first->root.certificate);
  EXPECT_EQ(again->issuing.certificate, first->issuing.certificate);
  EXPECT_EQ(again->evidence_signer.certificate, first->evidence_signer.certificate);
  EXPECT_EQ(again->tsa.certificate, first->tsa.certificate);
  EXPECT_THAT(smime::CheckKeyMatches(first->tsa.certificate, again->tsa.key), IsOk());
}

// Four processes starting at once on an empty database end up with one PKI: the losers of the
// insert race (Conflict) load the winner's rows.
TEST_P(PlatformPkiBackendsTest, ProcessesStartingTogetherAgree) {
  constexpr int kProcesses = 4;
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < kProcesses; ++i) {
    stores.push_back(Open());
    ASSERT_NE(stores.back(), nullptr);
  }
  std::vector<Result<PlatformPki>> results(kProcesses, Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = LoadOrCreatePlatformPki(*stores[i], master_, clock_); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_THAT(r.status(), IsOk());
    EXPECT_EQ(r->root.certificate, results[0]->root.certificate);
    EXPECT_EQ(r->issuing.certificate, results[0]->issuing.certificate);
    EXPECT_EQ(r->evidence_signer.certificate, results[0]->evidence_signer.certificate);
    EXPECT_EQ(r->tsa.certificate, results[0]->tsa.certificate);
  }
}

}  // namespace
}  // namespace sealpost::trust
