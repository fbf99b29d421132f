// The app password domain (store/app_password_store.h) on every backend, like store_test.cpp:
// found by lookup, listed per user newest first, live ones counted, revoked one by one or all
// at once (the wrapped UMK wiped), touched only while live, pruned, and gone with their user.
#include "store/app_password_store.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

using testing::Backend;

class AppPasswordStoreTest : public testing::BackendTest {
 protected:
  UserId AddUser(char fill, const std::string& email) {
    const UserRecord u = testing::MakeTestUser(std::string(32, fill), email, kT0);
    EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(u); }), IsOk());
    return u.id;
  }
  static AppPasswordRecord Password(const std::string& id, const UserId& user, int64_t at_ms) {
    AppPasswordRecord p;
    p.id = id;
    p.lookup = std::string(64, id[0]);
    p.user_id = user;
    p.name = "Thunderbird " + id;
    p.wrapped_umk = Bytes(72, static_cast<uint8_t>(id[0]));
    p.created_at = kT0 + std::chrono::milliseconds(at_ms);
    return p;
  }
  Status Create(const AppPasswordRecord& p) {
    return Write([&](WriteTxn& tx) { return tx.app_passwords().CreateAppPassword(p); });
  }
  int64_t CountLive(const UserId& user) {
    Result<int64_t> n = int64_t{-1};
    EXPECT_THAT(Write([&](WriteTxn& tx) {
                  n = tx.app_passwords().CountLiveAppPasswordsOfUser(user);
                  return n.status();
                }),
                IsOk());
    return n.ok() ? *n : -1;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AppPasswordStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(AppPasswordStoreTest, RoundTripsAndListsNewestFirst) {
  const UserId alice = AddUser('a', "alice@example.org");
  const UserId bob = AddUser('b', "bob@example.org");
  ASSERT_THAT(Create(Password("1111", alice, 1)), IsOk());
  ASSERT_THAT(Create(Password("2222", alice, 2)), IsOk());
  ASSERT_THAT(Create(Password("3333", bob, 3)), IsOk());

  auto found = store_->app_passwords().GetAppPasswordByLookup(std::string(64, '2'));
  ASSERT_THAT(found.status(), IsOk());
  EXPECT_EQ(found->id, "2222");
  EXPECT_EQ(found->user_id, alice);
  EXPECT_EQ(found->name, "Thunderbird 2222");
  EXPECT_EQ(found->wrapped_umk, Bytes(72, '2'));
  EXPECT_EQ(found->created_at, kT0 + std::chrono::milliseconds(2));
  EXPECT_FALSE(found->last_used_at.has_value());
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_TRUE(found->live());

  auto list = store_->app_passwords().ListAppPasswordsOfUser(alice);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "2222");
  EXPECT_EQ((*list)[1].id, "1111");
  EXPECT_EQ(CountLive(alice), 2);
  EXPECT_EQ(CountLive(bob), 1);

  EXPECT_THAT(store_->app_passwords().GetAppPasswordByLookup(std::string(64, '9')).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(AppPasswordStoreTest, IdAndLookupAreUnique) {
  const UserId alice = AddUser('a', "alice@example.org");
  ASSERT_THAT(Create(Password("1111", alice, 1)), IsOk());
  AppPasswordRecord same_id = Password("1111", alice, 2);
  same_id.lookup = std::string(64, 'f');
  EXPECT_THAT(Create(same_id), StatusIs(ErrorCode::kConflict));
  AppPasswordRecord same_lookup = Password("5555", alice, 2);
  same_lookup.lookup = std::string(64, '1');
  EXPECT_THAT(Create(same_lookup), StatusIs(ErrorCode::kConflict));
}

TEST_P(AppPasswordStoreTest, RevokeWipesTheWrappedKeyAndOnlyTheOwnersPassword) {
  const UserId alice = AddUser('a', "alice@example.org");
  const UserId bob = AddUser('b', "bob@example.org");
  ASSERT_THAT(Create(Password("1111", alice, 1)), IsOk());
  const TimePoint at = kT0 + std::chrono::seconds(5);
  // Bob cannot revoke Alice's password.
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.app_passwords().RevokeAppPassword(bob, "1111", at); }),
      StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.app_passwords().RevokeAppPassword(alice, "1111", at); }),
      IsOk());
  // Twice is NotFound: there is no live password with that id any more.
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.app_passwords().RevokeAppPassword(alice, "1111", at); }),
      StatusIs(ErrorCode::kNotFound));
  auto found = store_->app_passwords().GetAppPasswordByLookup(std::string(64, '1'));
  ASSERT_THAT(found.status(), IsOk());
  EXPECT_FALSE(found->live());
  EXPECT_EQ(found->revoked_at, at);
  EXPECT_TRUE(found->wrapped_umk.empty());
  EXPECT_EQ(CountLive(alice), 0);
  // A revoked password is not touched.
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.app_passwords().TouchAppPassword(std::string(64, '1'), at);
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(AppPasswordStoreTest, RevokeAllOfUserLeavesOthersAlone) {
  const UserId alice = AddUser('a', "alice@example.org");
  const UserId bob = AddUser('b', "bob@example.org");
  ASSERT_THAT(Create(Password("1111", alice, 1)), IsOk());
  ASSERT_THAT(Create(Password("2222", alice, 2)), IsOk());
  ASSERT_THAT(Create(Password("3333", bob, 3)), IsOk());
  Result<int64_t> revoked = int64_t{0};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                revoked = tx.app_passwords().RevokeAppPasswordsOfUser(alice, kT0);
                return revoked.status();
              }),
              IsOk());
  EXPECT_EQ(*revoked, 2);
  EXPECT_EQ(CountLive(alice), 0);
  EXPECT_EQ(CountLive(bob), 1);
  auto bobs = store_->app_passwords().GetAppPasswordByLookup(std::string(64, '3'));
  ASSERT_THAT(bobs.status(), IsOk());
  EXPECT_TRUE(bobs->live());
  EXPECT_EQ(bobs->wrapped_umk, Bytes(72, '3'));
}

TEST_P(AppPasswordStoreTest, TouchNotesTheLastUse) {
  const UserId alice = AddUser('a', "alice@example.org");
  ASSERT_THAT(Create(Password("1111", alice, 1)), IsOk());
  const TimePoint at = kT0 + std::chrono::minutes(3);
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.app_passwords().TouchAppPassword(std::string(64, '1'), at);
              }),
              IsOk());
  auto found = store_->app_passwords().GetAppPasswordByLookup(std::string(64, '1'));
  ASSERT_THAT(found.status(), IsOk());
  EXPECT_EQ(found->last_used_at, at);
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.app_passwords().TouchAppPassword(std::string(64, '7'), at);
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(AppPasswordStoreTest, PruneKeepsLivePasswordsAndTheNewestRevoked) {
  const UserId alice = AddUser('a', "alice@example.org");
  const UserId bob = AddUser('b', "bob@example.org");
  for (const char* id : {"1111", "2222", "3333", "4444"}) {
    ASSERT_THAT(Create(Password(id, alice, id[0] - '0')), IsOk());
  }
  ASSERT_THAT(Create(Password("5555", bob, 5)), IsOk());
  for (const char* id : {"1111", "2222", "3333"}) {
    ASSERT_THAT(Write([&](WriteTxn& tx) {
                  return tx.app_passwords().RevokeAppPassword(
                      alice, id, kT0 + std::chrono::seconds(id[0] - '0'));
                }),
                IsOk());
  }
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.app_passwords().RevokeAppPassword(bob, "5555", kT0));
                return tx.app_passwords().PruneRevokedAppPasswords(alice, 1);
              }),
              IsOk());
  auto list = store_->app_passwords().ListAppPasswordsOfUser(alice);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "4444");  // live
  EXPECT_EQ((*list)[1].id, "3333");  // the most recently revoked
  // Another member's revoked password is not pruned.
  auto bobs = store_->app_passwords().ListAppPasswordsOfUser(bob);
  ASSERT_THAT(bobs.status(), IsOk());
  EXPECT_EQ(bobs->size(), 1u);
}

TEST_P(AppPasswordStoreTest, GoneWithTheirUser) {
  const UserId alice = AddUser('a', "alice@example.org");
  ASSERT_THAT(Create(Password("1111", alice, 1)), IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().DeleteUser(alice); }), IsOk());
  EXPECT_THAT(store_->app_passwords().GetAppPasswordByLookup(std::string(64, '1')).status(),
              StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::store
