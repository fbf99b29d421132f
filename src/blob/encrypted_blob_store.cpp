#include <algorithm>

#include "blob/raw_blob_store.h"
#include "crypto/ad_labels.h"
#include "crypto/stream_aead.h"
#include "telemetry/metrics.h"

namespace sealpost::blob {
namespace {

constexpr std::string_view kMagic = "SPB1";
constexpr size_t kFrameLengthBytes = 4;
constexpr size_t kMaxFrame = kChunkBytes + crypto::kStreamChunkOverhead;

std::string AssociatedData(const BlobId& id) { return crypto::BindAd(crypto::kAdBlob, {id.str()}); }

void PutU32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

// docs/operations.md, "Metrics": what both blob backends (files, PostgreSQL rows) commit.
void CountCommitted(uint64_t bytes) {
  static telemetry::Counter& blobs =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_blobs_written_total", "Encrypted blobs committed.")
          .With();
  static telemetry::Counter& written =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_blob_written_bytes_total",
                      "Bytes of encrypted blobs committed (ciphertext with framing).")
          .With();
  blobs.Increment();
  written.Increment(bytes);
}

uint32_t GetU32(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | in[3];
}

class EncryptedBlobWriter final : public BlobWriter {
 public:
  EncryptedBlobWriter(std::unique_ptr<RawBlobWriter> raw, std::string ad,
                      crypto::StreamEncryptor encryptor)
      : raw_(std::move(raw)), ad_(std::move(ad)), encryptor_(std::move(encryptor)) {
    pending_.reserve(kChunkBytes);
    frame_.reserve(kFrameLengthBytes + kMaxFrame);
  }

  ~EncryptedBlobWriter() override { Abort(); }

  void AddHeaderBytes(size_t n) { written_ += n; }

  Status Write(ByteView plaintext) override {
    if (done_) return Internal("blob writer already finished");
    while (!plaintext.empty()) {
      // A full chunk is sealed only once more data follows, so the final tag always lands on
      // the chunk that Commit seals.
      if (pending_.size() == kChunkBytes) {
        // A chunk that did not reach the disk whole leaves a hole in the stream: the writer is
        // done, its temporary file goes, and a later Commit cannot publish the rest.
        if (Status s = Flush(/*final=*/false); !s.ok()) {
          Abort();
          return s;
        }
      }
      const size_t take = std::min(kChunkBytes - pending_.size(), plaintext.size());
      pending_.insert(pending_.end(), plaintext.begin(), plaintext.begin() + take);
      plaintext = plaintext.subspan(take);
    }
    return Status::Ok();
  }

  Result<uint64_t> Commit() override {
    if (done_) return Internal("blob writer already finished");
    Status s = Flush(/*final=*/true);
    if (s.ok()) s = raw_->Commit();
    if (!s.ok()) {
      Abort();
      return s;
    }
    done_ = true;
    CountCommitted(written_);
    return written_;
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    raw_->Abort();
  }

 private:
  Status Flush(bool final) {
    encryptor_.Push(pending_, AsBytes(ad_), final, cipher_);
    frame_.resize(kFrameLengthBytes);
    PutU32(frame_.data(), static_cast<uint32_t>(cipher_.size()));
    frame_.insert(frame_.end(), cipher_.begin(), cipher_.end());
    pending_.clear();
    written_ += frame_.size();
    return raw_->Append(frame_);
  }

  std::unique_ptr<RawBlobWriter> raw_;
  std::string ad_;
  crypto::StreamEncryptor encryptor_;
  Bytes pending_;
  Bytes cipher_;
  Bytes frame_;
  uint64_t written_ = 0;
  bool done_ = false;
};

class EncryptedBlobReader final : public BlobReader {
 public:
  EncryptedBlobReader(std::unique_ptr<platform::ReadableFile> file, std::string ad,
                      crypto::StreamDecryptor decryptor)
      : file_(std::move(file)), ad_(std::move(ad)), decryptor_(std::move(decryptor)) {}

  Result<size_t> Read(std::span<uint8_t> out) override {
    while (offset_ == plain_.size()) {
      if (finished_) return size_t{0};
      SP_RETURN_IF_ERROR(NextChunk());
    }
    const size_t n = std::min(out.size(), plain_.size() - offset_);
    std::copy_n(plain_.begin() + static_cast<ptrdiff_t>(offset_), n, out.begin());
    offset_ += n;
    return n;
  }

 private:
  Result<bool> ReadExactly(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      SP_ASSIGN_OR_RETURN(const size_t r, file_->Read({dst + got, n - got}));
      if (r == 0) {
        if (got == 0) return false;
        return Unauthenticated("blob is truncated");
      }
      got += r;
    }
    return true;
  }

  Status NextChunk() {
    uint8_t len_bytes[kFrameLengthBytes];
    SP_ASSIGN_OR_RETURN(const bool more, ReadExactly(len_bytes, sizeof len_bytes));
    if (!more) return Unauthenticated("blob is truncated");  // no final tag seen
    const uint32_t len = GetU32(len_bytes);
    if (len < crypto::kStreamChunkOverhead || len > kMaxFrame) {
      return Unauthenticated("blob frame is malformed");
    }
    cipher_.resize(len);
    SP_ASSIGN_OR_RETURN(const bool got, ReadExactly(cipher_.data(), len));
    if (!got) return Unauthenticated("blob is truncated");
    SP_ASSIGN_OR_RETURN(const bool final, decryptor_.Pull(cipher_, AsBytes(ad_), plain_));
    offset_ = 0;
    if (final) {
      uint8_t extra;
      SP_ASSIGN_OR_RETURN(const bool trailing, ReadExactly(&extra, 1));
      if (trailing) return Unauthenticated("blob has data after its final chunk");
      finished_ = true;
    }
    return Status::Ok();
  }

  std::unique_ptr<platform::ReadableFile> file_;
  std::string ad_;
  crypto::StreamDecryptor decryptor_;
  Bytes cipher_;
  Bytes plain_;
  size_t offset_ = 0;
  bool finished_ = false;
};

// A writer of the blob format into `raw`: the magic and the stream header, then chunks.
Result<std::unique_ptr<BlobWriter>> StartWriter(std::unique_ptr<RawBlobWriter> raw,
                                                const BlobId& id, const crypto::BlobKey& key) {
  Bytes header;
  auto encryptor = crypto::StreamEncryptor::Create(key.aead(), header);
  Bytes prefix(kMagic.begin(), kMagic.end());
  prefix.insert(prefix.end(), header.begin(), header.end());
  if (Status s = raw->Append(prefix); !s.ok()) {
    raw->Abort();
    return s;
  }
  auto writer = std::make_unique<EncryptedBlobWriter>(std::move(raw), AssociatedData(id),
                                                      std::move(encryptor));
  writer->AddHeaderBytes(prefix.size());
  return std::unique_ptr<BlobWriter>(std::move(writer));
}

// SealInMemory's raw side: the bytes go to `out`.
class MemoryRawWriter final : public RawBlobWriter {
 public:
  explicit MemoryRawWriter(Bytes& out) : out_(out) {}
  Status Append(ByteView bytes) override {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }
  Status Commit() override { return Status::Ok(); }
  void Abort() override { out_.clear(); }

 private:
  Bytes& out_;
};

class EncryptedBlobStore final : public BlobStore {
 public:
  explicit EncryptedBlobStore(std::unique_ptr<RawBlobStore> raw) : raw_(std::move(raw)) {}

  Result<std::unique_ptr<BlobWriter>> Create(const BlobId& id,
                                             const crypto::BlobKey& key) override {
    SP_ASSIGN_OR_RETURN(auto raw, raw_->Create(id));
    return StartWriter(std::move(raw), id, key);
  }

  Result<std::unique_ptr<BlobReader>> Open(const BlobId& id, const crypto::BlobKey& key) override {
    SP_ASSIGN_OR_RETURN(auto file, raw_->Open(id));
    uint8_t prefix[4 + crypto::kStreamHeaderBytes];
    size_t got = 0;
    while (got < sizeof prefix) {
      SP_ASSIGN_OR_RETURN(const size_t n, file->Read({prefix + got, sizeof prefix - got}));
      if (n == 0) return Unauthenticated("blob header is truncated");
      got += n;
    }
    if (!std::equal(kMagic.begin(), kMagic.end(), prefix)) {
      return Unauthenticated("blob has an unknown format");
    }
    SP_ASSIGN_OR_RETURN(auto decryptor, crypto::StreamDecryptor::Create(
                                            key.aead(), ByteView(prefix + 4, sizeof prefix - 4)));
    return std::unique_ptr<BlobReader>(
        new EncryptedBlobReader(std::move(file), AssociatedData(id), std::move(decryptor)));
  }

  Status Remove(const BlobId& id) override { return raw_->Remove(id); }

 private:
  std::unique_ptr<RawBlobStore> raw_;
};

}  // namespace

Result<Bytes> SealInMemory(const BlobId& id, const crypto::BlobKey& key, ByteView plaintext) {
  Bytes out;
  out.reserve(kMagic.size() + crypto::kStreamHeaderBytes + plaintext.size() +
              (plaintext.size() / kChunkBytes + 1) *
                  (kFrameLengthBytes + crypto::kStreamChunkOverhead));
  SP_ASSIGN_OR_RETURN(auto writer, StartWriter(std::make_unique<MemoryRawWriter>(out), id, key));
  SP_RETURN_IF_ERROR(writer->Write(plaintext));
  SP_RETURN_IF_ERROR(writer->Commit().status());
  return out;
}

std::unique_ptr<BlobStore> OpenEncryptedBlobStore(std::unique_ptr<RawBlobStore> raw) {
  return std::make_unique<EncryptedBlobStore>(std::move(raw));
}

}  // namespace sealpost::blob
