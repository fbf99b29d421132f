#include "platform/filesystem.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::platform {
namespace {

TEST(FilesystemTest, AtomicWriteAndRead) {
  testutil::TempDir dir;
  auto& fs = DefaultFilesystem();
  const std::string path = dir.path() + "/f";
  ASSERT_THAT(WriteFileAtomically(fs, path, AsBytes("hello")), IsOk());
  EXPECT_FALSE(fs.Exists(path + ".tmp"));
  auto text = ReadSmallFile(fs, path, 100);
  ASSERT_THAT(text.status(), IsOk());
  EXPECT_EQ(*text, "hello");
  EXPECT_THAT(ReadSmallFile(fs, path, 3).status(), StatusIs(ErrorCode::kResourceExhausted));
  EXPECT_THAT(ReadSmallFile(fs, path + "x", 3).status(), StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::platform
