#include "store/sqlite/sqlite_blobs.h"

#include <algorithm>

#include "store/sqlite/internal/inline_blobs.h"

namespace sealpost::store::sqlite {
namespace {

Status PutRow(Store& store, const BlobId& id, ByteView data) {
  return store.Write([&](WriteTxn& tx) -> Status {
    SqliteInlineBlobsWriter* rows = InlineBlobsOf(tx);
    if (rows == nullptr) return Internal("inline blobs need an SQLite store");
    return rows->Put(id, data);
  });
}

class SqliteBlobWriter final : public blob::RawBlobWriter {
 public:
  SqliteBlobWriter(Store& store, blob::RawBlobStore& files, BlobId id)
      : store_(store), files_(files), id_(std::move(id)) {}
  ~SqliteBlobWriter() override { Abort(); }

  Status Append(ByteView bytes) override {
    if (done_) return Internal("blob writer already finished");
    if (!file_ && buffer_.size() + bytes.size() > kInlineBlobBytes) {
      if (Status s = Spill(); !s.ok()) {
        Abort();
        return s;
      }
    }
    if (file_) return file_->Append(bytes);
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }

  Status Commit() override {
    if (done_) return Internal("blob writer already finished");
    done_ = true;
    if (file_) return file_->Commit();  // a failed Commit discards the file itself
    // A failed write leaves no row: its savepoint or the whole transaction was rolled back.
    Status s = PutRow(store_, id_, buffer_);
    Bytes().swap(buffer_);
    return s;
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    if (file_) file_->Abort();
    Bytes().swap(buffer_);
  }

 private:
  // Moves the buffered bytes into a file writer, which takes every later Append.
  Status Spill() {
    SP_ASSIGN_OR_RETURN(file_, files_.Create(id_));
    if (!buffer_.empty()) SP_RETURN_IF_ERROR(file_->Append(buffer_));
    Bytes().swap(buffer_);
    return Status::Ok();
  }

  Store& store_;
  blob::RawBlobStore& files_;
  BlobId id_;
  Bytes buffer_;
  std::unique_ptr<blob::RawBlobWriter> file_;  // once past the threshold
  bool done_ = false;
};

// A row's bytes, handed out piece by piece like a file's.
class RowReader final : public platform::ReadableFile {
 public:
  explicit RowReader(Bytes data) : data_(std::move(data)) {}

  Result<size_t> Read(std::span<uint8_t> out) override {
    const size_t n = std::min(out.size(), data_.size() - offset_);
    std::copy_n(data_.begin() + static_cast<ptrdiff_t>(offset_), n, out.begin());
    offset_ += n;
    return n;
  }

 private:
  Bytes data_;
  size_t offset_ = 0;
};

class SqliteBlobStore final : public blob::RawBlobStore {
 public:
  SqliteBlobStore(Store& store, SqliteInlineBlobsReader& rows,
                  std::unique_ptr<blob::RawBlobStore> files)
      : store_(store), rows_(rows), files_(std::move(files)) {}

  Result<std::unique_ptr<blob::RawBlobWriter>> Create(const BlobId& id) override {
    return std::unique_ptr<blob::RawBlobWriter>(new SqliteBlobWriter(store_, *files_, id));
  }

  Result<std::unique_ptr<platform::ReadableFile>> Open(const BlobId& id) override {
    auto row = rows_.Get(id);
    if (row.ok()) return std::unique_ptr<platform::ReadableFile>(new RowReader(*std::move(row)));
    if (row.status().code() != ErrorCode::kNotFound) return row.status();
    return files_->Open(id);
  }

  Status Remove(const BlobId& id) override {
    // Asked first, so that removing a file blob does not wait for a group commit.
    SP_ASSIGN_OR_RETURN(const bool is_row, rows_.Contains(id));
    if (is_row) {
      SP_RETURN_IF_ERROR(store_.Write([&](WriteTxn& tx) -> Status {
        SqliteInlineBlobsWriter* rows = InlineBlobsOf(tx);
        if (rows == nullptr) return Internal("inline blobs need an SQLite store");
        return rows->Remove(id).status();
      }));
    }
    return files_->Remove(id);
  }

 private:
  Store& store_;
  SqliteInlineBlobsReader& rows_;
  std::unique_ptr<blob::RawBlobStore> files_;
};

}  // namespace

Result<std::unique_ptr<blob::RawBlobStore>> OpenSqliteBlobs(
    Store& store, std::unique_ptr<blob::RawBlobStore> files) {
  SqliteInlineBlobsReader* rows = InlineBlobsOf(store);
  if (rows == nullptr) return InvalidArgument("inline blobs need an SQLite store");
  if (files == nullptr) return InvalidArgument("inline blobs need a file store beside them");
  return std::unique_ptr<blob::RawBlobStore>(new SqliteBlobStore(store, *rows, std::move(files)));
}

}  // namespace sealpost::store::sqlite
