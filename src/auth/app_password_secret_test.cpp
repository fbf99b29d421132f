#include "auth/app_password_secret.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "crypto/aead.h"
#include "testing/app_password_shape.h"
#include "testing/run_tool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::auth {
namespace {

TEST(AppPasswordSecretTest, DisplaysEightGroupsOfFourBase32Characters) {
  const AppPasswordSecret s = AppPasswordSecret::Generate();
  const std::string shown(s.Display().view());
  EXPECT_TRUE(testutil::IsShownAppPassword(shown)) << shown;
}

TEST(AppPasswordSecretTest, TypedCopiesInAnyCaseAndSpacingDeriveTheSameKeys) {
  const AppPasswordSecret s = AppPasswordSecret::Generate();
  std::string shown(s.Display().view());
  std::string upper = shown;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string spaced = shown;
  for (char& c : spaced) c = c == '-' ? ' ' : c;
  std::string bare;
  for (char c : shown) {
    if (c != '-') bare += c;
  }
  for (const std::string& typed : {shown, upper, spaced, bare}) {
    auto parsed = AppPasswordSecret::Parse(typed);
    ASSERT_THAT(parsed.status(), IsOk()) << typed;
    EXPECT_EQ(parsed->Lookup(), s.Lookup());
    EXPECT_EQ(std::string(parsed->Display().view()), shown);
  }
}

TEST(AppPasswordSecretTest, SecretsAndTheirDerivationsDiffer) {
  std::set<std::string> lookups;
  for (int i = 0; i < 50; ++i) lookups.insert(AppPasswordSecret::Generate().Lookup());
  EXPECT_EQ(lookups.size(), 50u);
  const AppPasswordSecret s = AppPasswordSecret::Generate();
  EXPECT_EQ(s.Lookup().size(), 64u);
  EXPECT_EQ(s.Lookup().find(std::string(s.Display().view()).substr(0, 4)), std::string::npos);
}

TEST(AppPasswordSecretTest, WrappingKeyOpensOnlyWhatItWrapped) {
  const AppPasswordSecret s = AppPasswordSecret::Generate();
  const Bytes sealed = crypto::AeadSeal(s.WrappingKey().aead(), AsBytes("umk"), AsBytes("ad"));
  auto again = AppPasswordSecret::Parse(s.Display().view());
  ASSERT_THAT(again.status(), IsOk());
  auto opened = crypto::AeadOpen(again->WrappingKey().aead(), sealed, AsBytes("ad"));
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->AsStringView(), "umk");
  const AppPasswordSecret other = AppPasswordSecret::Generate();
  EXPECT_FALSE(crypto::AeadOpen(other.WrappingKey().aead(), sealed, AsBytes("ad")).ok());
}

TEST(AppPasswordSecretTest, RejectsMalformed) {
  const std::string good(32, 'a');
  for (const std::string& bad :
       {std::string(), std::string("short"), std::string(31, 'a'), std::string(33, 'a'),
        good.substr(0, 31) + "1", good.substr(0, 31) + "8", good.substr(0, 31) + "!",
        good.substr(0, 31) + "\xc3", std::string(200, '-') + good, good + std::string(1, '\0')}) {
    EXPECT_THAT(AppPasswordSecret::Parse(bad).status(), StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

// An independent computation of the lookup with Python's hashlib: SHA-256 of the label and the
// canonical text, then libsodium's crypto_kdf (BLAKE2b keyed with the root, the subkey id as
// salt and the context as personalisation), hex.
TEST(AppPasswordSecretTest, LookupMatchesAnIndependentDerivation) {
  const AppPasswordSecret s = AppPasswordSecret::Generate();
  const crypto::SecretString shown = s.Display();
  std::string canonical;
  for (char c : shown.view()) {
    if (c != '-') canonical += c;
  }
  static constexpr const char* kPython = R"py(
import hashlib, sys
root = hashlib.sha256(b"sealpost/app-password/v1" + sys.argv[1].encode()).digest()
salt = (1).to_bytes(8, "little") + bytes(8)
person = b"spapppw1" + bytes(8)
print(hashlib.blake2b(digest_size=32, key=root, salt=salt, person=person).hexdigest())
)py";
  testutil::TempDir dir;
  const testutil::ToolResult r =
      testutil::RunTool({"python3", "-c", kPython, canonical}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_EQ(r.out, s.Lookup() + "\n");
}

}  // namespace
}  // namespace sealpost::auth
