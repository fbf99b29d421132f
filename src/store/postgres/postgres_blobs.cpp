#include "store/postgres/postgres_blobs.h"

#include <algorithm>
#include <optional>

#include "core/time.h"
#include "store/postgres/internal/pool.h"
#include "store/postgres/internal/schema.h"

namespace sealpost::store::postgres {
namespace {

class PgBlobWriter final : public blob::RawBlobWriter {
 public:
  PgBlobWriter(Pool::Lease lease, BlobId id) : lease_(std::move(lease)), id_(std::move(id)) {}
  ~PgBlobWriter() override { Abort(); }

  Status Begin() {
    return Guard([&] {
      work_.emplace(lease_->conn());
      work_->exec_prepared("blob_create", id_.str(),
                           ToUnixMillis(std::chrono::system_clock::now()));
    });
  }

  Status Append(ByteView bytes) override {
    if (done_) return Internal("blob writer already finished");
    return Guard([&] {
      work_->exec_prepared("blob_append", id_.str(), next_seq_++, Bin(bytes));
      size_ += static_cast<int64_t>(bytes.size());
    });
  }

  Status Commit() override {
    if (done_) return Internal("blob writer already finished");
    Status s = Guard([&] {
      work_->exec_prepared("blob_set_size", id_.str(), size_);
      work_->commit();
    });
    if (!s.ok()) {
      Abort();
      return s;
    }
    done_ = true;
    work_.reset();
    lease_.reset();
    return Status::Ok();
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    try {
      if (work_) work_->abort();
    } catch (...) {
      // The connection is gone or broken; the server rolls the transaction back itself.
    }
    work_.reset();
    if (lease_ && !lease_->conn().is_open()) lease_->Discard();
    lease_.reset();
  }

 private:
  template <typename Fn>
  Status Guard(Fn&& fn) {
    try {
      fn();
      return Status::Ok();
    } catch (...) {
      return StatusFromException(std::current_exception(), nullptr);
    }
  }

  std::optional<Pool::Lease> lease_;
  BlobId id_;
  std::optional<pqxx::work> work_;
  int next_seq_ = 0;
  int64_t size_ = 0;
  bool done_ = false;
};

class PgBlobReader final : public platform::ReadableFile {
 public:
  PgBlobReader(Pool& pool, BlobId id) : pool_(pool), id_(std::move(id)) {}

  Result<size_t> Read(std::span<uint8_t> out) override {
    while (offset_ == piece_.size()) {
      if (at_end_) return size_t{0};
      SP_RETURN_IF_ERROR(NextPiece());
    }
    const size_t n = std::min(out.size(), piece_.size() - offset_);
    std::copy_n(piece_.begin() + static_cast<ptrdiff_t>(offset_), n, out.begin());
    offset_ += n;
    return n;
  }

 private:
  Status NextPiece() {
    SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
    try {
      pqxx::nontransaction tx(lease.conn());
      const auto r = tx.exec_prepared("blob_chunk", id_.str(), next_seq_);
      if (r.empty()) {
        at_end_ = true;
        piece_.clear();
      } else {
        piece_ = ReadBytes(r[0][0]);
        ++next_seq_;
      }
      offset_ = 0;
      return Status::Ok();
    } catch (...) {
      if (!lease.conn().is_open()) lease.Discard();
      return StatusFromException(std::current_exception(), nullptr);
    }
  }

  Pool& pool_;
  BlobId id_;
  int next_seq_ = 0;
  Bytes piece_;
  size_t offset_ = 0;
  bool at_end_ = false;
};

class PgBlobStore final : public blob::RawBlobStore {
 public:
  PgBlobStore(const std::string& url, int max_connections) : pool_(url, max_connections) {}

  Pool& pool() { return pool_; }

  Result<std::unique_ptr<blob::RawBlobWriter>> Create(const BlobId& id) override {
    SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
    auto writer = std::make_unique<PgBlobWriter>(std::move(lease), id);
    SP_RETURN_IF_ERROR(writer->Begin());
    return std::unique_ptr<blob::RawBlobWriter>(std::move(writer));
  }

  Result<std::unique_ptr<platform::ReadableFile>> Open(const BlobId& id) override {
    SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
    try {
      pqxx::nontransaction tx(lease.conn());
      if (tx.exec_prepared("blob_exists", id.str()).empty()) return NotFound("blob not found");
    } catch (...) {
      if (!lease.conn().is_open()) lease.Discard();
      return StatusFromException(std::current_exception(), nullptr);
    }
    return std::unique_ptr<platform::ReadableFile>(new PgBlobReader(pool_, id));
  }

  Status Remove(const BlobId& id) override {
    SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
    try {
      pqxx::work w(lease.conn());
      const auto r = w.exec_prepared("blob_remove", id.str());
      w.commit();
      if (r.affected_rows() == 0) return NotFound("blob not found");
      return Status::Ok();
    } catch (...) {
      if (!lease.conn().is_open()) lease.Discard();
      return StatusFromException(std::current_exception(), nullptr);
    }
  }

 private:
  Pool pool_;
};

}  // namespace

Result<std::unique_ptr<blob::RawBlobStore>> OpenPostgresBlobs(const std::string& url,
                                                              int max_connections) {
  if (max_connections < 1) return InvalidArgument("postgres: pool needs a connection");
  auto store = std::make_unique<PgBlobStore>(url, max_connections);
  SP_ASSIGN_OR_RETURN(auto first, Connect(url));
  SP_RETURN_IF_ERROR(Migrate(*first));
  store->pool().Put(std::move(first));
  return std::unique_ptr<blob::RawBlobStore>(std::move(store));
}

}  // namespace sealpost::store::postgres
