// The online copy of a live SQLite database (store/sqlite/sqlite_backup.h).
#include "store/sqlite/sqlite_backup.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/backend_test.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::store {
namespace {

using ::testing::Not;

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

// Runs one query with sqlite3 itself (not the store) and returns the first column as text.
std::string Query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

Status AddUser(Store& store, int n) {
  return store.Write([&](WriteTxn& tx) {
    return tx.accounts().CreateUser(
        testing::MakeTestUser(fmt::format("{:032x}", n), fmt::format("u{}@example.org", n), kT0));
  });
}

TEST(SqliteBackupTest, CopiesALiveDatabaseAsOfOneCommit) {
  testutil::TempDir dir;
  const std::string source = dir.path() + "/live.db";
  auto store = sqlite::OpenSqliteStore(source);
  ASSERT_THAT(store.status(), IsOk());
  for (int n = 0; n < 50; ++n) ASSERT_THAT(AddUser(**store, n), IsOk());

  // A writer keeps committing while the copy is made.
  std::atomic<bool> stop{false};
  std::atomic<int> written{50};
  std::thread writer([&] {
    for (int n = 50; !stop; ++n) {
      if (!AddUser(**store, n).ok()) return;
      written = n + 1;
    }
  });
  while (written < 100) std::this_thread::yield();
  const int before = written;
  const std::string copy = dir.path() + "/copy.db";
  const Status backed_up = sqlite::BackupSqliteDatabase(source, copy);
  stop = true;
  writer.join();
  ASSERT_THAT(backed_up, IsOk());

  EXPECT_EQ(Query(copy, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Query(copy, "PRAGMA journal_mode"), "delete");  // self-contained: no -wal beside it
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));
  const int copied = std::stoi(Query(copy, "SELECT count(*) FROM users"));
  EXPECT_GE(copied, before);  // every commit made before the copy began
  EXPECT_LE(copied, written.load());
  // The users are 0..copied-1 with no gap: one snapshot, not pages of different moments.
  EXPECT_EQ(Query(copy, "SELECT max(id) FROM users"), fmt::format("{:032x}", copied - 1));
  struct stat st;
  ASSERT_EQ(::stat(copy.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The copy is a database the store opens.
  auto reopened = sqlite::OpenSqliteStore(copy);
  ASSERT_THAT(reopened.status(), IsOk());
  EXPECT_THAT(
      (*reopened)->accounts().GetUser(UserId::FromTrusted(fmt::format("{:032x}", 7))).status(),
      IsOk());
}

TEST(SqliteBackupTest, RefusesAnExistingTargetAndLeavesNothingOnFailure) {
  testutil::TempDir dir;
  const std::string source = dir.path() + "/live.db";
  { ASSERT_THAT(sqlite::OpenSqliteStore(source).status(), IsOk()); }
  const std::string copy = dir.path() + "/copy.db";
  ASSERT_THAT(sqlite::BackupSqliteDatabase(source, copy), IsOk());
  EXPECT_THAT(sqlite::BackupSqliteDatabase(source, copy), StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(sqlite::BackupSqliteDatabase(dir.path() + "/absent.db", dir.path() + "/c2.db"),
              StatusIs(ErrorCode::kNotFound));

  const std::string junk = dir.path() + "/junk.db";
  {
    FILE* f = std::fopen(junk.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an SQLite database, not even close to one; just text.", f);
    std::fclose(f);
  }
  EXPECT_THAT(sqlite::BackupSqliteDatabase(junk, dir.path() + "/c3.db"), Not(IsOk()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/c3.db"));
}

}  // namespace
}  // namespace sealpost::store
