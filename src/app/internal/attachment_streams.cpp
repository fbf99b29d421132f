#include "app/internal/attachment_streams.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "app/internal/background_hasher.h"
#include "crypto/sealed_box.h"
#include "keys/upload_key_blob.h"

namespace sealpost::app::internal {
namespace {

// Streams an attachment and withholds its last byte until the whole plaintext has matched the
// sealed digest, so a client never receives a complete file that differs from what was sealed.
// The plaintext is read straight into the caller's buffer and hashed there, on the hasher's
// thread, while the next part is decrypted.
class DigestCheckingReader final : public blob::BlobReader {
 public:
  DigestCheckingReader(std::unique_ptr<blob::BlobReader> inner, Bytes expected_digest)
      : inner_(std::move(inner)), expected_(std::move(expected_digest)) {}

  Result<size_t> Read(std::span<uint8_t> out) override {
    if (failed_) return Corruption(kIntegrityFailure);
    if (out.empty() || done_) return size_t{0};
    for (;;) {
      if (out.size() == 1 && held_) return ReadOneByte(out[0]);
      size_t filled = 0;
      if (held_) out[filled++] = *held_;  // hashed when it was read
      held_.reset();
      size_t unhashed = filled;  // out[unhashed, filled) is not yet given to the hasher
      bool eof = false;
      while (filled < out.size()) {
        auto n = inner_->Read(out.subspan(filled));
        if (!n.ok()) return Fail();
        if (*n == 0) {
          eof = true;
          break;
        }
        filled += *n;
        if (filled - unhashed >= BackgroundHasher::kMinBackgroundBytes) {
          hasher_.Update(out.subspan(unhashed, filled - unhashed));
          unhashed = filled;
        }
      }
      hasher_.Update(out.subspan(unhashed, filled - unhashed));
      hasher_.Wait();  // `out` is the caller's again once this returns
      if (eof) {
        done_ = true;
        if (!crypto::ConstantTimeEquals(hasher_.Finish(), expected_)) return Fail();
        return filled;
      }
      // More may follow: the last byte waits for the next call, and the digest.
      held_ = out[filled - 1];
      if (filled > 1) return filled - 1;
    }
  }

 private:
  // A one-byte buffer cannot take the held byte and new data: look one byte ahead instead.
  Result<size_t> ReadOneByte(uint8_t& out) {
    uint8_t next = 0;
    auto n = inner_->Read({&next, 1});
    if (!n.ok()) return Fail();
    out = *held_;
    if (*n == 0) {
      done_ = true;
      if (!crypto::ConstantTimeEquals(hasher_.Finish(), expected_)) return Fail();
      return size_t{1};
    }
    hasher_.Update({&next, 1});
    held_ = next;
    return size_t{1};
  }

  Result<size_t> Fail() {
    hasher_.Wait();
    failed_ = true;
    return Corruption(kIntegrityFailure);
  }

  std::unique_ptr<blob::BlobReader> inner_;
  Bytes expected_;
  BackgroundHasher hasher_;
  std::optional<uint8_t> held_;
  bool done_ = false;    // the end was reached and matched
  bool failed_ = false;  // and every later read fails too
};

class BlobUploadSession final : public UploadSession {
 public:
  BlobUploadSession(const Services& s, UploadOwner owner, BlobId blob_id, crypto::BlobKey key,
                    std::unique_ptr<blob::BlobWriter> writer)
      : s_(s),
        owner_(std::move(owner)),
        blob_id_(std::move(blob_id)),
        key_(std::move(key)),
        writer_(std::move(writer)) {}

  ~BlobUploadSession() override { Abort(); }

  Status Write(ByteView chunk) override {
    size_ += chunk.size();
    if (size_ > s_.config.limits.max_upload_bytes) {
      Abort();
      return TooLarge(fmt::format("attachment is larger than the limit of {} bytes",
                                  s_.config.limits.max_upload_bytes))
          .ShownToClient();
    }
    hasher_.Update(chunk);  // on the hasher's thread while this one encrypts
    Status st = writer_->Write(chunk);
    hasher_.Wait();  // `chunk` is the caller's again once this returns
    if (!st.ok()) Abort();
    return st;
  }

  Result<UploadResult> Finish() override {
    SP_RETURN_IF_ERROR(writer_->Commit().status());
    committed_ = true;
    const keys::UploadKeyBlob blob(key_.Duplicate(), hasher_.Finish());
    const crypto::SecretBytes key_blob = blob.Serialize();
    const UploadId id = platform::NewId<UploadId>(s_.rng);
    auto sealed_key = owner_.seal_key(id, key_blob);
    if (!sealed_key.ok()) {
      (void)s_.blobs.Remove(blob_id_);
      return sealed_key.status();
    }
    const store::UploadRecord record{id,    owner_.owner_id, blob_id_, std::move(*sealed_key),
                                     size_, s_.clock.Now()};
    Status st = s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(tx.messages().CreateUpload(record));
      return RecordEvent(s_, tx, "upload.create", owner_.actor, record.id.str(),
                         nlohmann::json{{"size", size_}}.dump());
    });
    if (!st.ok()) {
      (void)s_.blobs.Remove(blob_id_);
      return st;
    }
    done_ = true;
    return UploadResult{record.id, size_};
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    if (committed_) {
      (void)s_.blobs.Remove(blob_id_);
    } else {
      writer_->Abort();
    }
  }

 private:
  const Services& s_;
  UploadOwner owner_;
  BlobId blob_id_;
  crypto::BlobKey key_;
  std::unique_ptr<blob::BlobWriter> writer_;
  BackgroundHasher hasher_;
  uint64_t size_ = 0;
  bool committed_ = false;
  bool done_ = false;
};

}  // namespace

UploadOwner MemberUploadOwner(const store::UserRecord& user) {
  return {user.id, user.id.str(),
          [pub = user.box_public_key](const UploadId&,
                                      const crypto::SecretBytes& key_blob) -> Result<Bytes> {
            SP_ASSIGN_OR_RETURN(const auto owner_key, crypto::BoxPublicKey::FromBytes(pub));
            return crypto::SealTo(owner_key, key_blob.view());
          }};
}

Result<std::unique_ptr<UploadSession>> BeginBlobUpload(const Services& s, UploadOwner owner,
                                                       std::optional<uint64_t> declared_size) {
  if (declared_size && *declared_size > s.config.limits.max_upload_bytes) {
    return TooLarge(fmt::format("attachment is larger than the limit of {} bytes",
                                s.config.limits.max_upload_bytes))
        .ShownToClient();
  }
  BlobId blob_id = platform::NewId<BlobId>(s.rng);
  crypto::BlobKey key = crypto::BlobKey::Generate();
  SP_ASSIGN_OR_RETURN(auto writer, s.blobs.Create(blob_id, key));
  return std::unique_ptr<UploadSession>(std::make_unique<BlobUploadSession>(
      s, std::move(owner), std::move(blob_id), std::move(key), std::move(writer)));
}

std::unique_ptr<blob::BlobReader> MakeDigestCheckingReader(std::unique_ptr<blob::BlobReader> inner,
                                                           Bytes expected_digest) {
  return std::make_unique<DigestCheckingReader>(std::move(inner), std::move(expected_digest));
}

}  // namespace sealpost::app::internal
