#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "blob/blob_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::blob {
namespace {

const BlobId kId = BlobId::FromTrusted("0123456789abcdef0123456789abcdef");
const BlobId kOtherId = BlobId::FromTrusted("fedcba9876543210fedcba9876543210");

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenLocalBlobStore(platform::DefaultFilesystem(), dir_.path());
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  std::string PathOf(const BlobId& id) {
    return dir_.path() + "/" + id.str().substr(0, 2) + "/" + id.str();
  }

  Bytes Pattern(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + i / 7);
    return b;
  }

  void Put(const BlobId& id, const Bytes& data, size_t piece) {
    auto w = store_->Create(id, key_);
    ASSERT_THAT(w.status(), IsOk());
    for (size_t off = 0; off < data.size(); off += piece) {
      ASSERT_THAT((*w)->Write(ByteView(data).subspan(off, std::min(piece, data.size() - off))),
                  IsOk());
    }
    ASSERT_THAT((*w)->Commit().status(), IsOk());
  }

  Result<Bytes> Get(const BlobId& id, const crypto::BlobKey& key) {
    SP_ASSIGN_OR_RETURN(auto r, store_->Open(id, key));
    Bytes out;
    uint8_t buf[10000];
    for (;;) {
      SP_ASSIGN_OR_RETURN(const size_t n, r->Read(buf));
      if (n == 0) return out;
      out.insert(out.end(), buf, buf + n);
    }
  }

  void Corrupt(const BlobId& id, const std::function<void(std::string&)>& edit) {
    std::ifstream in(PathOf(id), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    in.close();
    edit(bytes);
    std::ofstream(PathOf(id), std::ios::binary | std::ios::trunc) << bytes;
  }

  testutil::TempDir dir_;
  std::unique_ptr<BlobStore> store_;
  crypto::BlobKey key_ = crypto::BlobKey::Generate();
};

TEST_F(BlobStoreTest, RoundTripsAcrossChunkBoundaries) {
  for (size_t size : {size_t{0}, size_t{1}, kChunkBytes - 1, kChunkBytes, kChunkBytes + 1,
                      3 * kChunkBytes + 17}) {
    const Bytes data = Pattern(size);
    Put(kId, data, 1000);
    auto back = Get(kId, key_);
    ASSERT_THAT(back.status(), IsOk()) << size;
    EXPECT_EQ(*back, data) << size;
  }
}

TEST_F(BlobStoreTest, StoredBytesDoNotContainPlaintext) {
  const std::string marker = "MARKER-plaintext-should-not-appear";
  Put(kId, Bytes(marker.begin(), marker.end()), 5);
  std::ifstream in(PathOf(kId), std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(stored.find("MARKER"), std::string::npos);
}

TEST_F(BlobStoreTest, AbortLeavesNothing) {
  auto w = store_->Create(kId, key_);
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->Write(Pattern(200000)), IsOk());
  (*w)->Abort();
  EXPECT_FALSE(std::filesystem::exists(PathOf(kId)));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/tmp"));
  EXPECT_THAT(Get(kId, key_).status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(BlobStoreTest, WriterDestroyedWithoutCommitLeavesNothing) {
  {
    auto w = store_->Create(kId, key_);
    ASSERT_THAT((*w)->Write(Pattern(100)), IsOk());
  }
  EXPECT_FALSE(std::filesystem::exists(PathOf(kId)));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/tmp"));
}

TEST_F(BlobStoreTest, EveryFlippedByteIsDetected) {
  const Bytes data = Pattern(kChunkBytes + 100);
  Put(kId, data, 4096);
  const size_t size = std::filesystem::file_size(PathOf(kId));
  // Flip one byte at a time in a sample of positions covering magic, header, lengths and frames.
  for (size_t pos = 0; pos < size; pos += (pos < 64 ? 1 : 997)) {
    Put(kId, data, 4096);
    Corrupt(kId, [&](std::string& b) { b[pos] ^= 0x01; });
    EXPECT_FALSE(Get(kId, key_).ok()) << "flip at " << pos;
  }
}

TEST_F(BlobStoreTest, TruncationAndAppendAreDetected) {
  const Bytes data = Pattern(2 * kChunkBytes + 5);
  Put(kId, data, 65536);
  const size_t size = std::filesystem::file_size(PathOf(kId));
  Corrupt(kId, [&](std::string& b) { b.resize(size - (5 + 17 + 4)); });  // drop the final frame
  EXPECT_THAT(Get(kId, key_).status(), StatusIs(ErrorCode::kUnauthenticated));
  Put(kId, data, 65536);
  Corrupt(kId, [&](std::string& b) { b += "x"; });
  EXPECT_THAT(Get(kId, key_).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(BlobStoreTest, WrongKeyOrSwappedBlobIsDetected) {
  Put(kId, Pattern(100), 100);
  EXPECT_THAT(Get(kId, crypto::BlobKey::Generate()).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  // Same key, but the file of one blob placed under another id: the associated data differs.
  Put(kOtherId, Pattern(100), 100);
  std::filesystem::copy_file(PathOf(kId), PathOf(kOtherId),
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_THAT(Get(kOtherId, key_).status(), StatusIs(ErrorCode::kUnauthenticated));
}

}  // namespace
}  // namespace sealpost::blob
