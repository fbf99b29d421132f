#include "cmd/data_dir_lock.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::cmd {
namespace {

// flock(2) locks belong to an open file: two Acquire calls in one process conflict exactly as
// two processes would.
TEST(DataDirLockTest, SharedHoldersExcludeTheExclusiveOneAndTheOtherWayRound) {
  testutil::TempDir dir;
  {
    auto server = DataDirLock::Acquire(dir.path(), LockMode::kShared);
    ASSERT_THAT(server.status(), IsOk());
    auto backup = DataDirLock::Acquire(dir.path(), LockMode::kShared);
    ASSERT_THAT(backup.status(), IsOk());
    auto rotation = DataDirLock::Acquire(dir.path(), LockMode::kExclusive);
    EXPECT_THAT(rotation.status(), StatusIs(ErrorCode::kConflict));
    EXPECT_NE(rotation.status().message().find("stop it first"), std::string::npos);
  }
  // Released with the objects.
  auto rotation = DataDirLock::Acquire(dir.path(), LockMode::kExclusive);
  ASSERT_THAT(rotation.status(), IsOk());
  EXPECT_THAT(DataDirLock::Acquire(dir.path(), LockMode::kShared).status(),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(DataDirLock::Acquire(dir.path(), LockMode::kExclusive).status(),
              StatusIs(ErrorCode::kConflict));
}

TEST(DataDirLockTest, AMissingDirectoryIsAnError) {
  testutil::TempDir dir;
  EXPECT_THAT(DataDirLock::Acquire(dir.path() + "/absent", LockMode::kShared).status(),
              StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::cmd
