// The PostgreSQL blob store (store/postgres/postgres_blobs.h) under the encrypted blob format:
// blobs shared between processes, all-or-nothing uploads, tampering detected, pieces bounded.
#include "store/postgres/postgres_blobs.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "crypto/stream_aead.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const BlobId kId = BlobId::FromTrusted("0123456789abcdef0123456789abcdef");

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + i / 7);
  return b;
}

class PostgresBlobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(testing::Backend::kPostgres);
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(db).value();
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<blob::BlobStore> Open() {
    auto raw = postgres::OpenPostgresBlobs(db_->location(), 2);
    EXPECT_THAT(raw.status(), IsOk());
    if (!raw.ok()) return nullptr;
    return blob::OpenEncryptedBlobStore(std::move(raw).value());
  }

  void Put(blob::BlobStore& store, const BlobId& id, const Bytes& data, size_t piece) {
    auto w = store.Create(id, key_);
    ASSERT_THAT(w.status(), IsOk());
    for (size_t off = 0; off < data.size(); off += piece) {
      ASSERT_THAT((*w)->Write(ByteView(data).subspan(off, std::min(piece, data.size() - off))),
                  IsOk());
    }
    auto size = (*w)->Commit();
    ASSERT_THAT(size.status(), IsOk());
  }

  Result<Bytes> Get(blob::BlobStore& store, const BlobId& id, const crypto::BlobKey& key) {
    SP_ASSIGN_OR_RETURN(auto r, store.Open(id, key));
    Bytes out;
    uint8_t buf[10000];
    for (;;) {
      SP_ASSIGN_OR_RETURN(const size_t n, r->Read(buf));
      if (n == 0) return out;
      out.insert(out.end(), buf, buf + n);
    }
  }

  pqxx::result Sql(const std::string& sql) {
    pqxx::connection conn(db_->location());
    pqxx::work w(conn);
    auto r = w.exec(sql);
    w.commit();
    return r;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<blob::BlobStore> store_;
  crypto::BlobKey key_ = crypto::BlobKey::Generate();
};

TEST_F(PostgresBlobsTest, RoundTripsAcrossProcessesInBoundedPieces) {
  const Bytes data = Pattern(3 * blob::kChunkBytes + 12345);
  Put(*store_, kId, data, 10000);
  auto other = Open();  // a second process
  ASSERT_NE(other, nullptr);
  auto back = Get(*other, kId, key_);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, data);
  // One row per frame: no row larger than a frame, however large the blob.
  const auto r = Sql("SELECT count(*), max(length(data)) FROM blob_chunks");
  EXPECT_EQ(r[0][0].as<int>(), 1 + 4);  // header piece + four frames
  EXPECT_LE(r[0][1].as<size_t>(), 4 + blob::kChunkBytes + crypto::kStreamChunkOverhead);
}

TEST_F(PostgresBlobsTest, AbortedOrAbandonedUploadLeavesNothing) {
  {
    auto w = store_->Create(kId, key_);
    ASSERT_THAT(w.status(), IsOk());
    ASSERT_THAT((*w)->Write(Pattern(200000)), IsOk());
    (*w)->Abort();
  }
  EXPECT_THAT(store_->Open(kId, key_).status(), StatusIs(ErrorCode::kNotFound));
  {
    auto w = store_->Create(kId, key_);
    ASSERT_THAT(w.status(), IsOk());
    ASSERT_THAT((*w)->Write(Pattern(200000)), IsOk());
    // Destroyed without Commit, as when the request dies.
  }
  EXPECT_THAT(store_->Open(kId, key_).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(Sql("SELECT count(*) FROM blob_chunks")[0][0].as<int>(), 0);
  // The id is free again.
  Put(*store_, kId, Pattern(10), 10);
  EXPECT_THAT(Get(*store_, kId, key_).status(), IsOk());
}

TEST_F(PostgresBlobsTest, TamperingAndTruncationAreDetected) {
  Put(*store_, kId, Pattern(2 * blob::kChunkBytes + 7), 65536);
  Sql("UPDATE blob_chunks SET data = overlay(data placing '\\xff'::bytea from 100 for 1) "
      "WHERE blob_id = '" +
      kId.str() + "' AND seq = 1");
  EXPECT_THAT(Get(*store_, kId, key_).status(), StatusIs(ErrorCode::kUnauthenticated));

  const BlobId other = BlobId::FromTrusted("fedcba9876543210fedcba9876543210");
  Put(*store_, other, Pattern(2 * blob::kChunkBytes + 7), 65536);
  Sql("DELETE FROM blob_chunks WHERE blob_id = '" + other.str() +
      "' AND seq = (SELECT max(seq) FROM blob_chunks WHERE blob_id = '" + other.str() + "')");
  EXPECT_THAT(Get(*store_, other, key_).status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(Get(*store_, kId, crypto::BlobKey::Generate()).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(PostgresBlobsTest, RemoveDeletesEveryPiece) {
  Put(*store_, kId, Pattern(100000), 4096);
  ASSERT_THAT(store_->Remove(kId), IsOk());
  EXPECT_THAT(store_->Open(kId, key_).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(Sql("SELECT count(*) FROM blob_chunks")[0][0].as<int>(), 0);
  EXPECT_THAT(store_->Remove(kId), StatusIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace sealpost::store
