#include "platform/testing/fault_injecting_filesystem.h"

#include <algorithm>
#include <cerrno>

namespace sealpost::platform::testing {

ErrorCode DiskFullCode() { return ErrnoStatus(ENOSPC, "write", "").code(); }
ErrorCode IoErrorCode() { return ErrnoStatus(EIO, "fdatasync", "").code(); }

// A file of the inner filesystem whose Append and Sync first ask the FaultInjectingFilesystem.
class FaultInjectingWritableFile final : public WritableFile {
 public:
  FaultInjectingWritableFile(FaultInjectingFilesystem& fs, std::unique_ptr<WritableFile> inner,
                             std::string path)
      : fs_(fs), inner_(std::move(inner)), path_(std::move(path)) {}

  Status Append(std::span<const uint8_t> data) override {
    const std::optional<uint64_t> allowed = fs_.TakeAppendBudget(data.size());
    if (!allowed) return inner_->Append(data);
    if (*allowed > 0) SP_RETURN_IF_ERROR(inner_->Append(data.first(*allowed)));
    if (*allowed < data.size()) return fs_.Inject(ENOSPC, "write", path_);
    return Status::Ok();
  }

  Status Sync() override {
    bool fail = false;
    {
      std::lock_guard lock(fs_.mu_);
      fail = fs_.TakeFault(fs_.failing_syncs_);
    }
    if (fail) return fs_.Inject(EIO, "fdatasync", path_);
    return inner_->Sync();
  }

  Status StartSync() override { return inner_->StartSync(); }
  Status Close() override { return inner_->Close(); }

 private:
  FaultInjectingFilesystem& fs_;
  std::unique_ptr<WritableFile> inner_;
  std::string path_;
};

void FaultInjectingFilesystem::FailAppendsAfter(uint64_t bytes) {
  std::lock_guard lock(mu_);
  append_budget_ = bytes;
}

void FaultInjectingFilesystem::FailSyncs(int count) {
  std::lock_guard lock(mu_);
  failing_syncs_ = count;
}

void FaultInjectingFilesystem::FailRenames(int count) {
  std::lock_guard lock(mu_);
  failing_renames_ = count;
}

void FaultInjectingFilesystem::FailRenamesAfterRenaming(int count) {
  std::lock_guard lock(mu_);
  failing_renames_after_ = count;
}

void FaultInjectingFilesystem::FailDirectorySyncs(int count) {
  std::lock_guard lock(mu_);
  failing_directory_syncs_ = count;
}

void FaultInjectingFilesystem::FailCreates(int count) {
  std::lock_guard lock(mu_);
  failing_creates_ = count;
}

void FaultInjectingFilesystem::StopFailing() {
  std::lock_guard lock(mu_);
  append_budget_.reset();
  failing_syncs_ = 0;
  failing_renames_ = 0;
  failing_renames_after_ = 0;
  failing_directory_syncs_ = 0;
  failing_creates_ = 0;
}

std::optional<uint64_t> FaultInjectingFilesystem::TakeAppendBudget(uint64_t wanted) {
  std::lock_guard lock(mu_);
  if (!append_budget_) return std::nullopt;
  const uint64_t allowed = std::min(wanted, *append_budget_);
  *append_budget_ -= allowed;
  return allowed;
}

bool FaultInjectingFilesystem::TakeFault(int& remaining) {
  if (remaining == 0) return false;
  if (remaining > 0) --remaining;
  return true;
}

Status FaultInjectingFilesystem::Inject(int err, std::string_view what, const std::string& path) {
  ++injected_;
  return ErrnoStatus(err, std::string(what) + " (injected)", path);
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFilesystem::Wrap(
    Result<std::unique_ptr<WritableFile>> file, const std::string& path) {
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultInjectingWritableFile>(*this, std::move(file).value(), path));
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFilesystem::CreateWritable(
    const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (TakeFault(failing_creates_)) return Inject(ENOSPC, "create", path);
  }
  return Wrap(inner_.CreateWritable(path), path);
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFilesystem::CreateUncached(
    const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (TakeFault(failing_creates_)) return Inject(ENOSPC, "create", path);
  }
  return Wrap(inner_.CreateUncached(path), path);
}

Result<std::unique_ptr<ReadableFile>> FaultInjectingFilesystem::OpenReadable(
    const std::string& path) {
  return inner_.OpenReadable(path);
}

Result<std::unique_ptr<ReadableFile>> FaultInjectingFilesystem::OpenUncached(
    const std::string& path) {
  return inner_.OpenUncached(path);
}

Status FaultInjectingFilesystem::Rename(const std::string& from, const std::string& to) {
  return RenameWith(from, to, &Filesystem::Rename);
}

Status FaultInjectingFilesystem::RenameUnsynced(const std::string& from, const std::string& to) {
  return RenameWith(from, to, &Filesystem::RenameUnsynced);
}

Status FaultInjectingFilesystem::SyncDirectory(const std::string& dir) {
  {
    std::lock_guard lock(mu_);
    if (TakeFault(failing_directory_syncs_)) return Inject(EIO, "fsync directory", dir);
  }
  return inner_.SyncDirectory(dir);
}

Status FaultInjectingFilesystem::RenameWith(const std::string& from, const std::string& to,
                                            Status (Filesystem::*rename)(const std::string&,
                                                                         const std::string&)) {
  bool before = false;
  bool after = false;
  {
    std::lock_guard lock(mu_);
    before = TakeFault(failing_renames_);
    after = !before && TakeFault(failing_renames_after_);
  }
  if (before) return Inject(EIO, "rename", from);
  SP_RETURN_IF_ERROR((inner_.*rename)(from, to));
  if (after) return Inject(EIO, "fsync directory", to);
  return Status::Ok();
}

Status FaultInjectingFilesystem::Remove(const std::string& path) { return inner_.Remove(path); }

Status FaultInjectingFilesystem::CreateDirectories(const std::string& path) {
  return inner_.CreateDirectories(path);
}

bool FaultInjectingFilesystem::Exists(const std::string& path) { return inner_.Exists(path); }

Result<uint64_t> FaultInjectingFilesystem::FileSize(const std::string& path) {
  return inner_.FileSize(path);
}

}  // namespace sealpost::platform::testing
