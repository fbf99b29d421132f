// The SQLite deployment's blob store (store/sqlite/sqlite_blobs.h): small blobs as rows of the
// database with no file, larger ones spilled into files, nothing left by an aborted writer, both
// kinds removed, the blob files of older data directories still read, and the schema migration
// that adds the table to an existing database.
#include "store/sqlite/sqlite_blobs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include "blob/blob_store.h"
#include "store/migrate.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::store::sqlite {
namespace {

using ::testing::Not;

const BlobId kId = BlobId::FromTrusted("0123456789abcdef0123456789abcdef");
const BlobId kOtherId = BlobId::FromTrusted("fedcba9876543210fedcba9876543210");

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + i / 7);
  return b;
}

// Runs SQL on its own connection (as another process would) and returns the first column of the
// first row as an integer (-1 without a row).
int64_t SqlInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  int64_t out = -1;
  const int rc = sqlite3_step(st);
  EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sqlite3_errmsg(db);
  if (rc == SQLITE_ROW) out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

void Exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << message;
}

// Everything `r` hands out (empty, with a failed expectation, when a read fails).
Bytes ReadAll(blob::BlobReader& r) {
  Bytes out;
  uint8_t buf[5000];
  for (;;) {
    auto n = r.Read(buf);
    EXPECT_THAT(n.status(), IsOk());
    if (!n.ok()) return {};
    if (*n == 0) return out;
    out.insert(out.end(), buf, buf + *n);
  }
}

class SqliteBlobsTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    raw_.reset();
    store_.reset();
    auto store = OpenSqliteStore(DbPath());
    ASSERT_THAT(store.status(), IsOk());
    store_ = std::move(store).value();
    auto files = blob::OpenLocalRawBlobStore(platform::DefaultFilesystem(), BlobDir());
    ASSERT_THAT(files.status(), IsOk());
    auto raw = OpenSqliteBlobs(*store_, std::move(files).value());
    ASSERT_THAT(raw.status(), IsOk());
    raw_ = std::move(raw).value();
  }

  std::string DbPath() const { return dir_.path() + "/sealpost.db"; }
  std::string BlobDir() const { return dir_.path() + "/blobs"; }
  std::string FilePath(const BlobId& id) const {
    return BlobDir() + "/" + id.str().substr(0, 2) + "/" + id.str();
  }
  bool HasFile(const BlobId& id) const { return std::filesystem::exists(FilePath(id)); }
  int64_t Rows(const BlobId& id) const {
    return SqlInt(DbPath(), "SELECT count(*) FROM inline_blobs WHERE id = '" + id.str() + "'");
  }
  // Files anywhere under the blob directory, temporary ones included.
  size_t FileCount() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(BlobDir())) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  // Appends `data` in pieces of `piece` bytes and commits.
  void Put(const BlobId& id, const Bytes& data, size_t piece = 10000) {
    auto w = raw_->Create(id);
    ASSERT_THAT(w.status(), IsOk());
    for (size_t off = 0; off < data.size(); off += piece) {
      ASSERT_THAT((*w)->Append(ByteView(data).subspan(off, std::min(piece, data.size() - off))),
                  IsOk());
    }
    ASSERT_THAT((*w)->Commit(), IsOk());
  }

  Result<Bytes> Get(const BlobId& id) {
    SP_ASSIGN_OR_RETURN(auto r, raw_->Open(id));
    Bytes out;
    uint8_t buf[7000];
    for (;;) {
      SP_ASSIGN_OR_RETURN(const size_t n, r->Read(buf));
      if (n == 0) return out;
      out.insert(out.end(), buf, buf + n);
    }
  }

  testutil::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<blob::RawBlobStore> raw_;
};

TEST_F(SqliteBlobsTest, SmallBlobIsARowAndNoFile) {
  const Bytes data = Pattern(10 * 1024);
  Put(kId, data);
  EXPECT_EQ(Rows(kId), 1);
  EXPECT_FALSE(HasFile(kId));
  EXPECT_EQ(FileCount(), 0u);  // not even a temporary file
  auto back = Get(kId);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, data);
}

TEST_F(SqliteBlobsTest, BlobOfExactlyTheThresholdStaysARow) {
  const Bytes data = Pattern(kInlineBlobBytes);
  Put(kId, data, 4096);
  EXPECT_EQ(Rows(kId), 1);
  EXPECT_FALSE(HasFile(kId));
  auto back = Get(kId);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, data);
}

TEST_F(SqliteBlobsTest, BlobJustOverTheThresholdSpillsToAFile) {
  const Bytes data = Pattern(kInlineBlobBytes + 1);
  auto w = raw_->Create(kId);
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->Append(ByteView(data).first(kInlineBlobBytes)), IsOk());
  EXPECT_EQ(FileCount(), 0u);  // still in memory
  ASSERT_THAT((*w)->Append(ByteView(data).subspan(kInlineBlobBytes)), IsOk());
  EXPECT_EQ(FileCount(), 1u);  // the temporary file
  EXPECT_FALSE(HasFile(kId));  // nothing visible before Commit
  ASSERT_THAT((*w)->Commit(), IsOk());
  EXPECT_TRUE(HasFile(kId));
  EXPECT_EQ(std::filesystem::file_size(FilePath(kId)), data.size());
  EXPECT_EQ(Rows(kId), 0);
  auto back = Get(kId);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, data);
}

TEST_F(SqliteBlobsTest, LargeFirstAppendGoesStraightToAFile) {
  const Bytes data = Pattern(3 * kInlineBlobBytes);
  Put(kId, data, data.size());
  EXPECT_TRUE(HasFile(kId));
  EXPECT_EQ(Rows(kId), 0);
  auto back = Get(kId);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, data);
}

TEST_F(SqliteBlobsTest, AbortLeavesNothing) {
  for (const size_t size : {size_t{5000}, kInlineBlobBytes + 5000}) {
    SCOPED_TRACE(size);
    auto w = raw_->Create(kId);
    ASSERT_THAT(w.status(), IsOk());
    ASSERT_THAT((*w)->Append(Pattern(size)), IsOk());
    (*w)->Abort();
    (*w)->Abort();  // safe twice
    EXPECT_THAT((*w)->Commit(), StatusIs(ErrorCode::kInternal));
    EXPECT_EQ(Rows(kId), 0);
    EXPECT_EQ(FileCount(), 0u);
    EXPECT_THAT(raw_->Open(kId).status(), StatusIs(ErrorCode::kNotFound));
  }
}

TEST_F(SqliteBlobsTest, WriterDestroyedBeforeCommitLeavesNothing) {
  for (const size_t size : {size_t{5000}, kInlineBlobBytes + 5000}) {
    SCOPED_TRACE(size);
    {
      auto w = raw_->Create(kId);
      ASSERT_THAT(w.status(), IsOk());
      ASSERT_THAT((*w)->Append(Pattern(size)), IsOk());
    }
    EXPECT_EQ(Rows(kId), 0);
    EXPECT_EQ(FileCount(), 0u);
  }
}

TEST_F(SqliteBlobsTest, FailedCommitLeavesNoSecondRow) {
  Put(kId, Pattern(100));
  // A second blob under the same id cannot commit, and the first stays as it was.
  auto w = raw_->Create(kId);
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->Append(Pattern(200)), IsOk());
  EXPECT_FALSE((*w)->Commit().ok());
  EXPECT_EQ(Rows(kId), 1);
  auto back = Get(kId);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(*back, Pattern(100));
}

TEST_F(SqliteBlobsTest, RemoveRemovesRowsAndFiles) {
  Put(kId, Pattern(1000));
  Put(kOtherId, Pattern(kInlineBlobBytes + 1000));
  ASSERT_EQ(Rows(kId), 1);
  ASSERT_TRUE(HasFile(kOtherId));
  EXPECT_THAT(raw_->Remove(kId), IsOk());
  EXPECT_THAT(raw_->Remove(kOtherId), IsOk());
  EXPECT_EQ(Rows(kId), 0);
  EXPECT_FALSE(HasFile(kOtherId));
  EXPECT_THAT(raw_->Open(kId).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(raw_->Open(kOtherId).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(raw_->Remove(kId), IsOk());  // gone already: as the file store, not an error
}

TEST_F(SqliteBlobsTest, OpenOfAnUnknownIdIsNotFound) {
  EXPECT_THAT(raw_->Open(kId).status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(SqliteBlobsTest, ReadsTheBlobFilesOfAnOlderDataDirectory) {
  // What an earlier version wrote: every blob a file, through the encrypted format.
  const Bytes data = Pattern(3000);
  const crypto::BlobKey key = crypto::BlobKey::Generate();
  {
    auto files = blob::OpenLocalBlobStore(platform::DefaultFilesystem(), BlobDir());
    ASSERT_THAT(files.status(), IsOk());
    auto w = (*files)->Create(kId, key);
    ASSERT_THAT(w.status(), IsOk());
    ASSERT_THAT((*w)->Write(data), IsOk());
    ASSERT_THAT((*w)->Commit().status(), IsOk());
  }
  ASSERT_TRUE(HasFile(kId));
  auto files = blob::OpenLocalRawBlobStore(platform::DefaultFilesystem(), BlobDir());
  ASSERT_THAT(files.status(), IsOk());
  auto raw = OpenSqliteBlobs(*store_, std::move(files).value());
  ASSERT_THAT(raw.status(), IsOk());
  auto blobs = blob::OpenEncryptedBlobStore(std::move(raw).value());
  auto r = blobs->Open(kId, key);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadAll(**r), data);
  EXPECT_THAT(blobs->Remove(kId), IsOk());
  EXPECT_FALSE(HasFile(kId));
}

TEST_F(SqliteBlobsTest, EncryptedSmallBlobRoundTripsAsARow) {
  auto blobs = blob::OpenEncryptedBlobStore(std::move(raw_));
  const crypto::BlobKey key = crypto::BlobKey::Generate();
  const Bytes data = Pattern(10 * 1024);
  auto w = blobs->Create(kId, key);
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->Write(data), IsOk());
  auto size = (*w)->Commit();
  ASSERT_THAT(size.status(), IsOk());
  EXPECT_EQ(Rows(kId), 1);
  EXPECT_EQ(SqlInt(DbPath(), "SELECT length(data) FROM inline_blobs"), static_cast<int64_t>(*size));
  EXPECT_EQ(FileCount(), 0u);
  auto r = blobs->Open(kId, key);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadAll(**r), data);
  // The wrong key does not open it: the row holds the format's ciphertext, authenticated.
  auto wrong = blobs->Open(kId, crypto::BlobKey::Generate());
  uint8_t buf[64];
  EXPECT_TRUE(!wrong.ok() || !(*wrong)->Read(buf).ok());
}

// A blob sealed in memory and put by a store write of the caller's (WriteTxn::blob_rows) opens
// like one written through the blob store; a write that fails keeps no row; an id taken fails
// the write.
TEST_F(SqliteBlobsTest, SealedInMemoryAndPutInTheCallersWriteOpensLikeAnyBlob) {
  auto blobs = blob::OpenEncryptedBlobStore(std::move(raw_));
  const crypto::BlobKey key = crypto::BlobKey::Generate();
  const Bytes data = Pattern(3 * blob::kChunkBytes + 123);  // several chunks
  auto sealed = blob::SealInMemory(kId, key, data);
  ASSERT_THAT(sealed.status(), IsOk());
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) -> Status {
    if (tx.blob_rows() == nullptr) return Internal("no blob rows");
    return tx.blob_rows()->Put(kId, *sealed);
  }),
              IsOk());
  EXPECT_EQ(Rows(kId), 1);
  EXPECT_EQ(FileCount(), 0u);
  auto r = blobs->Open(kId, key);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadAll(**r), data);
  // Bound to its id: the same bytes under another id do not open.
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) { return tx.blob_rows()->Put(kOtherId, *sealed); }),
              IsOk());
  auto moved = blobs->Open(kOtherId, key);
  uint8_t buf[64];
  EXPECT_TRUE(!moved.ok() || !(*moved)->Read(buf).ok());

  const BlobId third = BlobId::FromTrusted("00000000000000000000000000000003");
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.blob_rows()->Put(third, *sealed));
    return Unavailable("the rest of the caller's write failed");
  }),
              Not(IsOk()));
  EXPECT_EQ(Rows(third), 0);
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) { return tx.blob_rows()->Put(kId, *sealed); }),
              Not(IsOk()));
  EXPECT_EQ(Rows(kId), 1);
}

TEST_F(SqliteBlobsTest, ExistingDatabaseGainsTheTable) {
  Put(kId, Pattern(100));
  const int64_t version = SqlInt(DbPath(), "PRAGMA user_version");
  raw_.reset();
  store_.reset();
  // The database as the version before this one left it: no table, one migration behind.
  Exec(DbPath(),
       "DROP TABLE inline_blobs; PRAGMA user_version = " + std::to_string(version - 1) + ";");
  ASSERT_EQ(SqlInt(DbPath(), "SELECT count(*) FROM sqlite_schema WHERE name = 'inline_blobs'"), 0);
  Reopen();
  EXPECT_EQ(SqlInt(DbPath(), "PRAGMA user_version"), version);
  EXPECT_EQ(SqlInt(DbPath(), "SELECT count(*) FROM sqlite_schema WHERE name = 'inline_blobs'"), 1);
  Put(kOtherId, Pattern(100));
  EXPECT_EQ(Rows(kOtherId), 1);
}

TEST_F(SqliteBlobsTest, FileBlobIdsLeaveOutTheRows) {
  Put(kId, Pattern(100));                          // a row
  Put(kOtherId, Pattern(kInlineBlobBytes + 100));  // a file
  // Two pending uploads naming them (foreign keys are off on this connection).
  Exec(DbPath(),
       "INSERT INTO uploads(id, owner_id, blob_id, sealed_key, size, created_ms) VALUES"
       "('u1', 'nobody', '" +
           kId.str() + "', x'00', 100, 0), ('u2', 'nobody', '" + kOtherId.str() +
           "', x'00', 100, 0)");
  raw_.reset();
  store_.reset();
  auto all = ListSqliteBlobIds(DbPath());
  ASSERT_THAT(all.status(), IsOk());
  EXPECT_EQ(all->size(), 2u);
  auto files = ListSqliteFileBlobIds(DbPath());
  ASSERT_THAT(files.status(), IsOk());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front(), kOtherId);
}

}  // namespace
}  // namespace sealpost::store::sqlite
