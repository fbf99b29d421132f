// The master-key rotation's storage (store/key_rotation_store.h) on every backend.
#include "store/key_rotation_store.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

class KeyRotationStoreTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    UserRecord with_totp = testing::MakeTestUser(std::string(32, 'a'), "a@example.org", kT0);
    with_totp.totp_secret = Bytes{1, 2, 3};
    UserRecord without = testing::MakeTestUser(std::string(32, 'b'), "b@example.org", kT0);
    ASSERT_THAT(Write([&](WriteTxn& tx) {
                  SP_RETURN_IF_ERROR(tx.accounts().CreateUser(with_totp));
                  SP_RETURN_IF_ERROR(tx.accounts().CreateUser(without));
                  for (char c : {'3', '1', '2'}) {
                    OutboundMailRecord mail;
                    mail.id = MailJobId::FromTrusted(std::string(32, c));
                    mail.sealed_mail = Bytes{static_cast<uint8_t>(c)};
                    mail.created_at = mail.next_attempt_at = kT0;
                    SP_RETURN_IF_ERROR(tx.outbox().EnqueueMail(mail));
                  }
                  SP_RETURN_IF_ERROR(tx.platform().PutPlatformKey({"zeta", Bytes{9}, Bytes{7}}));
                  return tx.platform().PutPlatformKey({"alpha", Bytes{9}, Bytes{8}});
                }),
                IsOk());
  }

  std::vector<std::string> Ids(MasterWrappedKind kind, const std::string& after, size_t limit) {
    auto rows = store_->key_rotation().ListMasterWrapped(kind, after, limit);
    EXPECT_THAT(rows.status(), IsOk());
    std::vector<std::string> ids;
    if (rows.ok()) {
      for (const auto& row : *rows) ids.push_back(row.id);
    }
    return ids;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, KeyRotationStoreTest,
                         ::testing::Values(testing::Backend::kSqlite, testing::Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(KeyRotationStoreTest, ListsEveryKindInIdOrderAndPages) {
  EXPECT_EQ(Ids(MasterWrappedKind::kTotpSecret, "", 10),
            std::vector<std::string>{std::string(32, 'a')});  // the empty seed is left out
  EXPECT_EQ(Ids(MasterWrappedKind::kPlatformKey, "", 10),
            (std::vector<std::string>{"alpha", "zeta"}));
  EXPECT_EQ(Ids(MasterWrappedKind::kOutboundMail, "", 2),
            (std::vector<std::string>{std::string(32, '1'), std::string(32, '2')}));
  EXPECT_EQ(Ids(MasterWrappedKind::kOutboundMail, std::string(32, '2'), 2),
            std::vector<std::string>{std::string(32, '3')});
  EXPECT_TRUE(Ids(MasterWrappedKind::kOutboundMail, std::string(32, '3'), 2).empty());

  auto rows = store_->key_rotation().ListMasterWrapped(MasterWrappedKind::kPlatformKey, "", 1);
  ASSERT_THAT(rows.status(), IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].wrapped, Bytes{8});
}

TEST_P(KeyRotationStoreTest, ReplacesOnlyWhatIsStillExpected) {
  auto& reader = store_->key_rotation();
  ASSERT_THAT(Write([](WriteTxn& tx) {
                return tx.key_rotation().ReplaceMasterWrapped(MasterWrappedKind::kTotpSecret,
                                                              std::string(32, 'a'), Bytes{1, 2, 3},
                                                              Bytes{4, 5});
              }),
              IsOk());
  auto rows = reader.ListMasterWrapped(MasterWrappedKind::kTotpSecret, "", 10);
  ASSERT_THAT(rows.status(), IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].wrapped, (Bytes{4, 5}));
  auto user = store_->accounts().GetUser(UserId::FromTrusted(std::string(32, 'a')));
  ASSERT_THAT(user.status(), IsOk());
  EXPECT_EQ(user->totp_secret, (Bytes{4, 5}));

  // The old bytes again: someone rewrote the row since it was read.
  EXPECT_THAT(Write([](WriteTxn& tx) {
                return tx.key_rotation().ReplaceMasterWrapped(
                    MasterWrappedKind::kTotpSecret, std::string(32, 'a'), Bytes{1, 2, 3}, Bytes{6});
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([](WriteTxn& tx) {
                return tx.key_rotation().ReplaceMasterWrapped(MasterWrappedKind::kPlatformKey,
                                                              "missing", Bytes{8}, Bytes{6});
              }),
              StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(
      Write([](WriteTxn& tx) {
        SP_RETURN_IF_ERROR(tx.key_rotation().ReplaceMasterWrapped(
            MasterWrappedKind::kOutboundMail, std::string(32, '2'), Bytes{'2'}, Bytes{'x'}));
        return tx.key_rotation().ReplaceMasterWrapped(MasterWrappedKind::kPlatformKey, "alpha",
                                                      Bytes{8}, Bytes{'y'});
      }),
      IsOk());
  auto key = store_->platform().GetPlatformKey("alpha");
  ASSERT_THAT(key.status(), IsOk());
  EXPECT_EQ(key->wrapped_secret, Bytes{'y'});
  EXPECT_EQ(key->public_key, Bytes{9});  // only the wrapped secret changes
  auto mail = reader.ListMasterWrapped(MasterWrappedKind::kOutboundMail, std::string(32, '1'), 1);
  ASSERT_THAT(mail.status(), IsOk());
  ASSERT_EQ(mail->size(), 1u);
  EXPECT_EQ((*mail)[0].wrapped, Bytes{'x'});
}

}  // namespace
}  // namespace sealpost::store
