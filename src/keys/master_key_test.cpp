#include "keys/master_key.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::keys {
namespace {

TEST(MasterKeyTest, CreatedOnceWithOwnerOnlyModeAndReloaded) {
  testutil::TempDir dir;
  auto& fs = platform::DefaultFilesystem();
  const std::string path = dir.path() + "/master.key";
  auto first = MasterKey::LoadOrCreate(fs, path);
  ASSERT_THAT(first.status(), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const Bytes wrapped = first->Wrap(AsBytes("secret"), "totp/u1");
  auto second = MasterKey::LoadOrCreate(fs, path);
  ASSERT_THAT(second.status(), IsOk());
  auto plain = second->Unwrap(wrapped, "totp/u1");
  ASSERT_THAT(plain.status(), IsOk());
  EXPECT_EQ(plain->AsStringView(), "secret");
  EXPECT_THAT(second->Unwrap(wrapped, "totp/u2").status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MasterKeyTest, WrapsNameTheirKey) {
  const MasterKey a = MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  const MasterKey b = MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  const Bytes wrapped = a.Wrap(AsBytes("secret"), "totp/u1");
  auto id = crypto::FramedKeyId(wrapped);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(*id, a.key_id());
  EXPECT_NE(*id, b.key_id());
  EXPECT_THAT(b.Unwrap(wrapped, "totp/u1").status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(MasterKeyTest, MalformedFileIsRefused) {
  testutil::TempDir dir;
  auto& fs = platform::DefaultFilesystem();
  const std::string path = dir.path() + "/master.key";
  ASSERT_THAT(platform::WriteFileAtomically(fs, path, AsBytes("not base64!")), IsOk());
  EXPECT_THAT(MasterKey::LoadOrCreate(fs, path).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(MasterKeyTest, CreateFileNeverOverwritesAndLoadFileNeedsTheFile) {
  testutil::TempDir dir;
  auto& fs = platform::DefaultFilesystem();
  const std::string path = dir.path() + "/master.key.next";
  EXPECT_THAT(MasterKey::LoadFile(fs, path).status(), StatusIs(ErrorCode::kNotFound));
  auto created = MasterKey::CreateFile(fs, path);
  ASSERT_THAT(created.status(), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(MasterKey::CreateFile(fs, path).status(), StatusIs(ErrorCode::kConflict));
  auto loaded = MasterKey::LoadFile(fs, path);
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ(loaded->key_id(), created->key_id());
  auto plain = loaded->Unwrap(created->Wrap(AsBytes("secret"), "p"), "p");
  ASSERT_THAT(plain.status(), IsOk());
  EXPECT_EQ(plain->AsStringView(), "secret");
}

}  // namespace
}  // namespace sealpost::keys
