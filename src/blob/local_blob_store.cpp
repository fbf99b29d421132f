#include <chrono>
#include <mutex>
#include <string>
#include <unordered_set>

#include "blob/raw_blob_store.h"
#include "platform/sync_batcher.h"
#include "telemetry/metrics.h"

namespace sealpost::blob {
namespace {

// docs/operations.md, "Metrics": how the local blobs' sync rounds batch.
struct SyncMetrics {
  telemetry::Histogram& wait =
      telemetry::DefaultRegistry()
          .AddHistogram("sealpost_blob_sync_wait_seconds",
                        "Time a local blob's commit waits for the sync round that makes it "
                        "durable, queueing included.",
                        {}, telemetry::LatencyBuckets())
          .With();
  telemetry::Counter& rounds =
      telemetry::DefaultRegistry()
          .AddCounter("sealpost_blob_sync_rounds_total",
                      "Sync rounds run for local blobs (each syncs a batch of blobs).")
          .With();
};

SyncMetrics& Metrics() {
  static SyncMetrics metrics;
  return metrics;
}

// Writes to <root>/tmp/<id>.part; Commit fsyncs and renames it to <root>/<ab>/<id>, in a sync
// round shared with the other writers committing meanwhile (platform/sync_batcher.h).
class FileBlobWriter final : public RawBlobWriter {
 public:
  FileBlobWriter(platform::Filesystem& fs, platform::SyncBatcher& batcher,
                 std::unique_ptr<platform::WritableFile> file, std::string tmp_path,
                 std::string final_path)
      : fs_(fs),
        batcher_(batcher),
        file_(std::move(file)),
        tmp_path_(std::move(tmp_path)),
        final_path_(std::move(final_path)) {}
  ~FileBlobWriter() override { Abort(); }

  Status Append(ByteView bytes) override {
    if (done_) return Internal("blob writer already finished");
    return file_->Append(bytes);
  }

  Status Commit() override {
    if (done_) return Internal("blob writer already finished");
    const auto started = std::chrono::steady_clock::now();
    Status s = batcher_.SyncAndRename(*file_, tmp_path_, final_path_);
    Metrics().wait.ObserveDuration(std::chrono::steady_clock::now() - started);
    if (s.ok()) s = file_->Close();
    // The round can fail after renaming (the directory's fsync failed), or the close after it.
    // The caller hears that the blob is not stored and will not refer to it, so it must not stay
    // under its name.
    if (!s.ok() && !fs_.Exists(tmp_path_)) (void)fs_.Remove(final_path_);
    if (!s.ok()) {
      Abort();
      return s;
    }
    done_ = true;
    return Status::Ok();
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    file_.reset();
    (void)fs_.Remove(tmp_path_);
  }

 private:
  platform::Filesystem& fs_;
  platform::SyncBatcher& batcher_;
  std::unique_ptr<platform::WritableFile> file_;
  std::string tmp_path_;
  std::string final_path_;
  bool done_ = false;
};

class FileBlobStore final : public RawBlobStore {
 public:
  static constexpr size_t kMaxSyncBatch = 128;

  FileBlobStore(platform::Filesystem& fs, std::string root)
      : fs_(fs),
        root_(std::move(root)),
        batcher_(fs, kMaxSyncBatch, [](size_t) { Metrics().rounds.Increment(); }) {}

  Result<std::unique_ptr<RawBlobWriter>> Create(const BlobId& id) override {
    SP_RETURN_IF_ERROR(EnsureDir(Dir(id)));
    const std::string tmp = root_ + "/tmp/" + id.str() + ".part";
    SP_ASSIGN_OR_RETURN(auto file, fs_.CreateUncached(tmp));
    return std::unique_ptr<RawBlobWriter>(
        new FileBlobWriter(fs_, batcher_, std::move(file), tmp, Path(id)));
  }

  Result<std::unique_ptr<platform::ReadableFile>> Open(const BlobId& id) override {
    return fs_.OpenUncached(Path(id));
  }

  Status Remove(const BlobId& id) override { return fs_.Remove(Path(id)); }

  Status Init() { return fs_.CreateDirectories(root_ + "/tmp"); }

 private:
  // Each of the (at most 256) <ab> directories is made once per process: asking again for
  // every blob cost a mkdir per component of the path, each answered EEXIST.
  Status EnsureDir(const std::string& dir) {
    {
      std::lock_guard lock(mu_);
      if (made_dirs_.count(dir) != 0) return Status::Ok();
    }
    SP_RETURN_IF_ERROR(fs_.CreateDirectories(dir));
    std::lock_guard lock(mu_);
    made_dirs_.insert(dir);
    return Status::Ok();
  }

  std::string Dir(const BlobId& id) const { return root_ + "/" + id.str().substr(0, 2); }
  std::string Path(const BlobId& id) const { return Dir(id) + "/" + id.str(); }

  platform::Filesystem& fs_;
  std::string root_;
  platform::SyncBatcher batcher_;
  std::mutex mu_;
  std::unordered_set<std::string> made_dirs_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<RawBlobStore>> OpenLocalRawBlobStore(platform::Filesystem& fs,
                                                            const std::string& root) {
  auto raw = std::make_unique<FileBlobStore>(fs, root);
  SP_RETURN_IF_ERROR(raw->Init());
  return std::unique_ptr<RawBlobStore>(std::move(raw));
}

Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(platform::Filesystem& fs,
                                                      const std::string& root) {
  SP_ASSIGN_OR_RETURN(auto raw, OpenLocalRawBlobStore(fs, root));
  return OpenEncryptedBlobStore(std::move(raw));
}

}  // namespace sealpost::blob
