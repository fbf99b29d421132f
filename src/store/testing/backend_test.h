// Test support: a gtest fixture that runs each TEST_P on a fresh database of every backend
// (SQLite and the PostgreSQL cluster of tests/postgres/pg.sh, see test_database.h), and a users
// row with placeholder key material for tests that need one to refer to. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "core/time.h"
#include "store/store.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store::testing {

class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(GetParam());
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(db).value();
    auto s = db_->Open();
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  Status Write(const std::function<Status(WriteTxn&)>& fn) { return store_->Write(fn); }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

inline UserRecord MakeTestUser(const std::string& id_hex, const std::string& email,
                               TimePoint created_at) {
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
  u.created_at = created_at;
  return u;
}

}  // namespace sealpost::store::testing
