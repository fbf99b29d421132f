#include "keys/secret_file.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::keys {
namespace {

TEST(SecretFileTest, ReadsWholeFilesAcrossBufferGrowth) {
  testutil::TempDir dir;
  auto& fs = platform::DefaultFilesystem();
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{8191}, size_t{8192}, size_t{8193}, size_t{100'000}}) {
    const std::string path = dir.path() + "/secret-" + std::to_string(size);
    std::string text(size, 'k');
    for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
    ASSERT_THAT(platform::WriteFileAtomically(fs, path, AsBytes(text)), IsOk());
    auto read = ReadSecretFile(fs, path, 100'000);
    ASSERT_THAT(read.status(), IsOk()) << size;
    EXPECT_EQ(read->view(), text) << size;
  }
}

TEST(SecretFileTest, RefusesFilesPastTheLimitAndMissingFiles) {
  testutil::TempDir dir;
  auto& fs = platform::DefaultFilesystem();
  const std::string path = dir.path() + "/big";
  ASSERT_THAT(platform::WriteFileAtomically(fs, path, AsBytes(std::string(1025, 'x'))), IsOk());
  EXPECT_THAT(ReadSecretFile(fs, path, 1024).status(), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(ReadSecretFile(fs, path, 1025).status(), IsOk());
  EXPECT_FALSE(ReadSecretFile(fs, dir.path() + "/missing", 1024).ok());
}

}  // namespace
}  // namespace sealpost::keys
