// Test support: a Filesystem that passes everything to another filesystem, except the operations a
// test tells it to fail (leveldb's ErrorEnv and FaultInjectionTestEnv, for our seam). It stands
// for a full disk (appends stop after a byte budget), a failed fsync, a failed rename (before it
// happens, or after, as when the directory's fsync fails) and a file that cannot be created.
//
// The injected errors are built by platform::ErrnoStatus, so they carry the code the real
// filesystem returns for that errno: DiskFullCode() is what a full disk looks like to callers.
// Reads, removals, directory creation and queries always pass through, so a test can check what
// a failure left behind, and a store can clean up after itself while the disk is "full".
//
// Thread-safe, like any Filesystem; the files it hands out are used by one thread at a time and
// must not outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "platform/filesystem.h"

namespace sealpost::platform::testing {

// The code the real filesystem returns for a full disk (ENOSPC), and so for an injected one.
ErrorCode DiskFullCode();
// The code the real filesystem returns for an I/O error (EIO), as from a failed fsync.
ErrorCode IoErrorCode();

class FaultInjectingFilesystem final : public Filesystem {
 public:
  explicit FaultInjectingFilesystem(Filesystem& inner) : inner_(inner) {}

  // Full disk: from now on, files written through this filesystem take `bytes` more bytes in
  // all, then every Append fails with ENOSPC. The Append that crosses the budget writes what
  // still fits, then fails (a short write, as write(2) makes on a filling disk).
  void FailAppendsAfter(uint64_t bytes);
  // Failed fsync: the next `count` Syncs (a negative count: every one) fail with EIO without
  // syncing.
  void FailSyncs(int count = -1);
  // The next `count` Renames fail with EIO and rename nothing.
  void FailRenames(int count = -1);
  // The next `count` Renames rename, then fail with EIO, as the real Rename does when the
  // parent directory's fsync fails: the file is under its new name, but the caller was told no.
  // RenameUnsynced counts as a Rename for this and for FailRenames.
  void FailRenamesAfterRenaming(int count = -1);
  // The next `count` SyncDirectory calls fail with EIO without syncing.
  void FailDirectorySyncs(int count = -1);
  // The next `count` CreateWritable/CreateUncached calls fail with ENOSPC and create nothing.
  void FailCreates(int count = -1);
  // Clears every instruction above (the disk has room again); the count of injected faults stays.
  void StopFailing();

  // Faults injected so far, of every kind.
  int injected() const { return injected_.load(); }

  Result<std::unique_ptr<WritableFile>> CreateWritable(const std::string& path) override;
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> CreateUncached(const std::string& path) override;
  Result<std::unique_ptr<ReadableFile>> OpenUncached(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RenameUnsynced(const std::string& from, const std::string& to) override;
  Status SyncDirectory(const std::string& dir) override;
  Status Remove(const std::string& path) override;
  Status CreateDirectories(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;

 private:
  friend class FaultInjectingWritableFile;  // its Append and Sync ask for faults here

  // How many of `wanted` bytes an Append may write now (taking them from the budget), or
  // nullopt when the disk is not "full" at all.
  std::optional<uint64_t> TakeAppendBudget(uint64_t wanted);
  // Whether the next call of a kind counted by `remaining` fails (and counts it down if so).
  // Called with mu_ held.
  bool TakeFault(int& remaining);
  // Counts one injected fault and returns the error the real filesystem gives for `err`.
  Status Inject(int err, std::string_view what, const std::string& path);
  // Rename or RenameUnsynced (`rename`), with the faults both share.
  Status RenameWith(const std::string& from, const std::string& to,
                    Status (Filesystem::*rename)(const std::string&, const std::string&));
  Result<std::unique_ptr<WritableFile>> Wrap(Result<std::unique_ptr<WritableFile>> file,
                                             const std::string& path);

  Filesystem& inner_;
  std::mutex mu_;
  std::optional<uint64_t> append_budget_;  // bytes left before the disk is full; none: no limit
  int failing_syncs_ = 0;
  int failing_renames_ = 0;
  int failing_renames_after_ = 0;
  int failing_directory_syncs_ = 0;
  int failing_creates_ = 0;
  std::atomic<int> injected_{0};
};

}  // namespace sealpost::platform::testing
