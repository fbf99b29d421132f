// PostgreSQL store behaviour that SQLite has no counterpart for: what a batch does when the
// connection dies under it. The server is made to kill the connection itself (a trigger calling
// pg_terminate_backend on its own backend), and a sequence — which a rollback does not undo —
// counts the attempts.
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kNow = FromUnixMillis(1'700'000'000'000);
constexpr std::chrono::minutes kWindow{1};

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(testing::Backend::kPostgres);
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(db).value();
    auto store = db_->Open();
    ASSERT_THAT(store.status(), IsOk());
    store_ = std::move(store).value();
    Sql("CREATE SEQUENCE attempts");
  }

  void Sql(const std::string& sql) {
    pqxx::connection conn(db_->location());
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
  }

  int64_t Scalar(const std::string& sql) {
    pqxx::connection conn(db_->location());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  // `kill_when` is SQL over `attempt` (this attempt's number, from 1).
  void KillConnectionOnCounterInsert(const std::string& kill_when, bool at_commit) {
    Sql("CREATE FUNCTION kill_connection() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE attempt bigint := nextval('attempts'); BEGIN IF " +
        kill_when +
        " THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF; "
        "RETURN NULL; END $$");
    Sql(std::string("CREATE CONSTRAINT TRIGGER kill_connection AFTER INSERT ON counters ") +
        (at_commit ? "DEFERRABLE INITIALLY DEFERRED " : "") +
        "FOR EACH ROW EXECUTE FUNCTION kill_connection()");
  }

  Status Bump() {
    return store_->Write(
        [](WriteTxn& tx) { return tx.platform().BumpCounter("k", kNow, kWindow).status(); });
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

// Lost before COMMIT was sent: nothing can have committed, so the batch runs again on a fresh
// connection and succeeds.
TEST_F(PostgresStoreTest, ConnectionLostInsideABatchIsRetriedOnAFreshOne) {
  KillConnectionOnCounterInsert("attempt = 1", /*at_commit=*/false);
  ASSERT_THAT(Bump(), IsOk());
  EXPECT_EQ(Scalar("SELECT last_value FROM attempts"), 2);
  EXPECT_EQ(Scalar("SELECT count FROM counters WHERE key = 'k'"), 1);
}

// Lost while COMMIT ran: the outcome is unknown to the client, so the batch is reported as such
// and not run again (a second run could apply it twice). Here the server died before committing,
// so nothing is stored; the store goes on working on new connections.
TEST_F(PostgresStoreTest, ConnectionLostDuringCommitIsReportedAndNotRetried) {
  KillConnectionOnCounterInsert("true", /*at_commit=*/true);
  const Status lost = Bump();
  EXPECT_EQ(lost.code(), ErrorCode::kUnavailable);
  EXPECT_NE(lost.message().find("commit outcome unknown"), std::string::npos) << lost.message();
  EXPECT_EQ(Scalar("SELECT last_value FROM attempts"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM counters"), 0);

  Sql("DROP TRIGGER kill_connection ON counters");
  ASSERT_THAT(Bump(), IsOk());
  EXPECT_EQ(Scalar("SELECT count FROM counters WHERE key = 'k'"), 1);
}

// A batch re-run with a savepoint per callback (because one failed) loses its connection in the
// middle: the statements after that must not run on a new connection outside the transaction
// (libpqxx reconnects on its own unless told not to); the batch is run again instead, so the
// failing callback still fails alone and the other is stored.
TEST_F(PostgresStoreTest, ConnectionLostWhileIsolatingCallbacksIsRetried) {
  KillConnectionOnCounterInsert("attempt = 1", /*at_commit=*/false);
  // The first write holds the writer until the other two are queued, so they share a batch.
  std::thread first([&] {
    EXPECT_THAT(store_->Write([](WriteTxn&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Status::Ok();
    }),
                IsOk());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread failing([&] {
    EXPECT_EQ(store_->Write([](WriteTxn&) { return InvalidArgument("refused"); }).code(),
              ErrorCode::kInvalidArgument);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THAT(Bump(), IsOk());
  first.join();
  failing.join();
  EXPECT_EQ(Scalar("SELECT last_value FROM attempts"), 2);
  EXPECT_EQ(Scalar("SELECT count FROM counters WHERE key = 'k'"), 1);
}

}  // namespace
}  // namespace sealpost::store
