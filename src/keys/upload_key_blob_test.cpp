#include "keys/upload_key_blob.h"

#include <gtest/gtest.h>

#include "testing/hex.h"
#include "testing/status_matchers.h"

namespace sealpost::keys {
namespace {

using testutil::Hex;

// The layout written out by hand: key bytes first, then the digest.
TEST(UploadKeyBlobTest, LayoutIsKeyThenDigest) {
  const Bytes key = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const Bytes digest = Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Bytes serialized = key;
  serialized.insert(serialized.end(), digest.begin(), digest.end());

  auto parsed = UploadKeyBlob::Parse(serialized);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(HexEncode(parsed->blob_key().ExposeSecret().view()), HexEncode(key));
  EXPECT_EQ(HexEncode(parsed->plaintext_digest()), HexEncode(digest));
  EXPECT_EQ(HexEncode(parsed->Serialize().view()), HexEncode(serialized));
  EXPECT_EQ(crypto::Sha256({}), parsed->plaintext_digest());  // the digest above is SHA-256("")
}

TEST(UploadKeyBlobTest, RoundTrips) {
  const UploadKeyBlob blob(crypto::BlobKey::Generate(), crypto::Sha256(AsBytes("attachment")));
  const crypto::SecretBytes bytes = blob.Serialize();
  EXPECT_EQ(bytes.size(), UploadKeyBlob::kBytes);
  auto back = UploadKeyBlob::Parse(bytes.view());
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(back->blob_key().key_id(), blob.blob_key().key_id());
  EXPECT_EQ(back->plaintext_digest(), blob.plaintext_digest());
}

TEST(UploadKeyBlobTest, WrongSizeIsCorruption) {
  for (size_t n : {0, 1, 32, 63, 65, 128}) {
    EXPECT_THAT(UploadKeyBlob::Parse(Bytes(n, 7)).status(), StatusIs(ErrorCode::kCorruption)) << n;
  }
}

}  // namespace
}  // namespace sealpost::keys
