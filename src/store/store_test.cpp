// The store suite: behaviour every backend must have. Backend chosen by SEALPOST_TEST_STORE.
#include "store/store.h"

#include <gtest/gtest.h>

#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::store {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

UserRecord MakeUser(const std::string& id_hex, const std::string& email) {
  UserRecord u;
  u.id = UserId::FromTrusted(id_hex);
  u.email = email;
  u.display_name = "Test";
  u.box_public_key = Bytes(32, 1);
  u.verify_key = Bytes(32, 2);
  u.wrapped_private_keys = Bytes(80, 3);
  u.password_salt = Bytes(16, 4);
  u.password_ops = 2;
  u.password_mem = 19 << 20;
  u.umk_by_password = Bytes(73, 5);
  u.created_at = kT0;
  return u;
}

std::string IdHex(char c) { return std::string(32, c); }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = sqlite::OpenSqliteStore(dir_.path() + "/sealpost.db");
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  Status Write(const std::function<Status(WriteTxn&)>& fn) { return store_->Write(fn); }

  testutil::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CreatesAndFindsUsers) {
  const UserRecord alice = MakeUser(IdHex('a'), "alice@example.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(alice); }), IsOk());
  auto by_email = store_->GetUserByEmail("alice@example.org");
  ASSERT_THAT(by_email.status(), IsOk());
  EXPECT_EQ(by_email->id, alice.id);
  EXPECT_EQ(by_email->umk_by_password, alice.umk_by_password);
  EXPECT_EQ(by_email->state, UserState::kPending);
  EXPECT_THAT(store_->GetUser(UserId::FromTrusted(IdHex('b'))).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(StoreTest, DuplicateEmailIsConflictAndLeavesNothing) {
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(MakeUser(IdHex('a'), "a@x.org")); }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(MakeUser(IdHex('b'), "a@x.org")); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(store_->GetUser(UserId::FromTrusted(IdHex('b'))).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(StoreTest, FailedCallbackRollsBackOnlyItself) {
  const Status failed = Write([&](WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.CreateUser(MakeUser(IdHex('c'), "c@x.org")));
    return InvalidArgument("changed my mind");
  });
  EXPECT_THAT(failed, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store_->GetUser(UserId::FromTrusted(IdHex('c'))).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(StoreTest, ConcurrentWritersAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        char id[33];
        snprintf(id, sizeof id, "%016x%016x", t, i);
        if (Write([&](WriteTxn& tx) {
              return tx.CreateUser(MakeUser(id, fmt::format("u{}-{}@x.org", t, i)));
            }).ok()) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_THAT(store_->GetUserByEmail("u7-24@x.org").status(), IsOk());
}

// Another process (an operator's sqlite3, a second server) writing between our commits must not
// make the next write fail.
TEST_F(StoreTest, WritesContinueAfterAnotherConnectionWrites) {
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(MakeUser(IdHex('a'), "a@x.org")); }),
              IsOk());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/sealpost.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "UPDATE users SET display_name = 'x'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(MakeUser(IdHex('b'), "b@x.org")); }),
              IsOk());
}

TEST_F(StoreTest, TotpStepsAreSingleUse) {
  const UserRecord u = MakeUser(IdHex('a'), "a@x.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(u); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.ConsumeTotpStep(u.id, 100); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.ConsumeTotpStep(u.id, 100); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.ConsumeTotpStep(u.id, 99); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.ConsumeTotpStep(u.id, 101); }), IsOk());
}

TEST_F(StoreTest, TokensAreConsumedOnce) {
  const UserRecord u = MakeUser(IdHex('a'), "a@x.org");
  TokenRecord t{"lookup1", TokenPurpose::kVerifyEmail, u.id, Bytes{1, 2, 3}, kT0 + 1h};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.CreateUser(u));
                return tx.CreateToken(t);
              }),
              IsOk());
  Result<TokenRecord> got = NotFound("unset");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                got = tx.ConsumeToken("lookup1", TokenPurpose::kVerifyEmail, kT0);
                return got.status();
              }),
              IsOk());
  EXPECT_EQ(got->payload, (Bytes{1, 2, 3}));
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.ConsumeToken("lookup1", TokenPurpose::kVerifyEmail, kT0).status();
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(StoreTest, ExpiredOrWrongPurposeTokenIsNotFound) {
  TokenRecord t{"l2", TokenPurpose::kBootstrapAdmin, std::nullopt, Bytes{}, kT0 + 1h};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateToken(t); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.ConsumeToken("l2", TokenPurpose::kBootstrapAdmin, kT0 + 2h).status();
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_F(StoreTest, CountersUseFixedWindows) {
  auto bump = [&](TimePoint now) {
    Result<int64_t> n = int64_t{0};
    EXPECT_THAT(Write([&](WriteTxn& tx) {
                  n = tx.BumpCounter("login:a", now, 60s);
                  return n.status();
                }),
                IsOk());
    return *n;
  };
  EXPECT_EQ(bump(kT0), 1);
  EXPECT_EQ(bump(kT0 + 10s), 2);
  EXPECT_EQ(*store_->GetCounter("login:a", kT0 + 20s, 60s), 2);
  EXPECT_EQ(*store_->GetCounter("login:a", kT0 + 61s, 60s), 0);
  EXPECT_EQ(bump(kT0 + 61s), 1);
}

TEST_F(StoreTest, AuditChainLinksEntries) {
  AuditEvent e{kT0, "user.login", "actor", "subject", "{}"};
  Result<AuditEntry> first = Internal("unset"), second = Internal("unset");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                first = tx.AppendAudit(e);
                return first.status();
              }),
              IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                second = tx.AppendAudit(e);
                return second.status();
              }),
              IsOk());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(first->prev_hash, Bytes(32, 0));
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_EQ(second->hash, AuditEntryHash(first->hash, 2, e));
  auto entries = store_->ReadAudit(1, 10);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].hash, second->hash);
}

TEST_F(StoreTest, MailboxListsNewestFirstWithCursor) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateUser(a); }), IsOk());
  for (int i = 0; i < 5; ++i) {
    MessageRecord m{MessageId::FromTrusted(std::string(31, '0') + char('0' + i)), a.id,
                    kT0 + std::chrono::seconds(i), Bytes{1}, Bytes{2}};
    MailboxEntry e{a.id, m.id, Folder::kInbox, Bytes{9}, true, m.created_at};
    ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.CreateMessage(m, {&e, 1}, {}); }), IsOk());
  }
  auto page1 = store_->ListMailbox(a.id, Folder::kInbox, nullptr, 3);
  ASSERT_THAT(page1.status(), IsOk());
  ASSERT_EQ(page1->size(), 3u);
  EXPECT_EQ((*page1)[0].message.id.str().back(), '4');
  MailboxCursor cursor{ToUnixMillis(page1->back().entry.created_at),
                       page1->back().entry.message_id.str()};
  auto page2 = store_->ListMailbox(a.id, Folder::kInbox, &cursor, 3);
  ASSERT_THAT(page2.status(), IsOk());
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[1].message.id.str().back(), '0');
  EXPECT_TRUE(store_->ListMailbox(a.id, Folder::kSent, nullptr, 3)->empty());
}

}  // namespace
}  // namespace sealpost::store
