#include "cmd/backup_manifest.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sealpost::cmd {
namespace {

crypto::Digest256 DigestOf(std::string_view text) { return crypto::Sha256(AsBytes(text)); }

TEST(BackupManifestTest, RoundTripsInSha256sumFormat) {
  Manifest manifest;
  manifest["sealpost.db"] = DigestOf("db");
  manifest["blobs/ab/abcdef"] = DigestOf("blob");
  const std::string text = FormatManifest(manifest);
  EXPECT_EQ(text.find("blobs/ab/abcdef"), 66u);  // sorted: "blobs/…" first, after "<hex>  "
  auto parsed = ParseManifest(text);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(*parsed, manifest);
}

TEST(BackupManifestTest, LinesAreWhatSha256sumWrites) {
  // SHA-256("abc") from FIPS 180-2, appendix B.1; the line is `sha256sum`'s for a file "abc.txt".
  const std::string line =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  abc.txt\n";
  EXPECT_EQ(FormatManifest(Manifest{{"abc.txt", DigestOf("abc")}}), line);
}

TEST(BackupManifestTest, RefusesAnythingButTheExactFormat) {
  const std::string hex(64, 'a');
  EXPECT_THAT(ParseManifest("").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(hex + "  a").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(hex + " a\n").status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(std::string(64, 'A') + "  a\n").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(hex.substr(1) + "  a\n").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(hex + "  a\n" + hex + "  a\n").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(hex + "  " + std::string(kManifestName) + "\n").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  for (const char* path : {"../etc/passwd", "/etc/passwd", "a/../b", "a//b", ".hidden", "a/", "a b",
                           "a\\b", "tls/.."}) {
    EXPECT_THAT(ParseManifest(hex + "  " + path + "\n").status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << path;
  }
  EXPECT_THAT(ParseManifest(hex + "  tls/key.pem\n").status(), IsOk());
}

}  // namespace
}  // namespace sealpost::cmd
