#include "audit/audit_log.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::audit {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto s = store::sqlite::OpenSqliteStore(DbPath());
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  std::string DbPath() const { return dir_.path() + "/audit.db"; }

  void Append(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
        return log_.Record(tx.audit(), {clock_.Now(), "test.event", "actor",
                                        "subject-" + std::to_string(i), R"({"n":1})"});
      }),
                  IsOk());
    }
  }

  // Edits the database behind the store's back, as an attacker with file access would.
  void Sql(const std::string& sql) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
    Reopen();
  }

  VerifyReport Verify() {
    auto r = VerifyAuditLog(store_->audit(), log_.verify_key());
    EXPECT_THAT(r.status(), IsOk());
    return *r;
  }

  testutil::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  platform::FakeClock clock_{FromUnixMillis(1'790'000'000'000)};
  AuditLog log_{crypto::SigningKey::Generate(), 5, clock_};
};

TEST_F(AuditLogTest, IntactLogVerifies) {
  Append(12);
  const VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 12);
  EXPECT_EQ(r.checkpoints, 2);
  EXPECT_EQ(r.last_checkpoint_seq, 10);
}

TEST_F(AuditLogTest, EditedEntryIsNamed) {
  Append(12);
  Sql("UPDATE audit_log SET subject = 'forged' WHERE seq = 7");
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 7);
}

TEST_F(AuditLogTest, RecomputedChainIsCaughtByCheckpoint) {
  Append(10);
  // An attacker rewrites entry 3 and every hash after it; only the signature can catch this.
  Sql("UPDATE audit_log SET details = '{\"n\":2}' WHERE seq = 3");
  auto entries = store_->audit().ReadAudit(1, 100);
  ASSERT_THAT(entries.status(), IsOk());
  Bytes prev(32, 0);
  std::string sql;
  for (auto& e : *entries) {
    const Bytes h = store::AuditEntryHash(prev, e.seq, e.event);
    sql += "UPDATE audit_log SET prev_hash = x'" + HexEncode(prev) + "', hash = x'" + HexEncode(h) +
           "' WHERE seq = " + std::to_string(e.seq) + ";";
    prev = h;
  }
  Sql(sql);
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5);  // the first checkpoint after the edit
}

TEST_F(AuditLogTest, DeletedOrTruncatedEntriesAreFound) {
  Append(12);
  Sql("DELETE FROM audit_log WHERE seq = 4");
  EXPECT_EQ(Verify().first_bad_seq, 4);
  Sql("DELETE FROM audit_log WHERE seq >= 4");
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5);
}

TEST_F(AuditLogTest, ForgedCheckpointSignatureFails) {
  Append(5);
  Sql("UPDATE audit_checkpoints SET signature = zeroblob(64) WHERE seq = 5");
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditLogTest, CheckpointNowSealsTheTail) {
  Append(3);
  ASSERT_THAT(log_.CheckpointNow(*store_), IsOk());
  const VerifyReport r = Verify();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.last_checkpoint_seq, 4);
}

TEST_F(AuditLogTest, AuditKeyPersistsUnderMasterKey) {
  const auto master = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  auto first = LoadOrCreateAuditKey(*store_, master);
  ASSERT_THAT(first.status(), IsOk());
  auto second = LoadOrCreateAuditKey(*store_, master);
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_TRUE(
      crypto::ConstantTimeEquals(first->verify_key().bytes(), second->verify_key().bytes()));
  const auto other_master = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  EXPECT_THAT(LoadOrCreateAuditKey(*store_, other_master).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

}  // namespace
}  // namespace sealpost::audit
