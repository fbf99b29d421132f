// Filesystem seam: the few file operations durable storage needs, so tests can inject failures.
//
// Durability contract (docs/architecture.md, conventions): a file becomes visible under its final
// name only after its data is fsync'ed (WritableFile::Sync) and it is renamed; Rename also syncs
// the parent directory so the rename itself survives a crash. Thread-safe; file objects are not.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sealpost::platform {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::span<const uint8_t> data) = 0;
  // Writes out what the file still buffers and starts the disk's write-back of all its data,
  // without waiting for it; Sync() then waits. Lets one caller start many files' write-back
  // before syncing each (platform/sync_batcher.h): their block allocations then share one
  // journal commit. Optional: a failure shows up again in Sync().
  virtual Status StartSync() { return Status::Ok(); }
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to out.size() bytes; returns 0 at end of file.
  virtual Result<size_t> Read(std::span<uint8_t> out) = 0;
};

class Filesystem {
 public:
  virtual ~Filesystem() = default;
  // Creates (or truncates) a file readable only by its owner: mode 0600 whatever the umask, and
  // an existing file is set to 0600 as well.
  virtual Result<std::unique_ptr<WritableFile>> CreateWritable(const std::string& path) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) = 0;
  // The same for large files written once front to back and read rarely (attachment blobs):
  // their data bypasses the page cache (O_DIRECT) where the filesystem allows it, and goes
  // through it where not. Copying a gigabyte into the page cache costs more CPU than
  // encrypting it, and would evict what the server reads often.
  virtual Result<std::unique_ptr<WritableFile>> CreateUncached(const std::string& path) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenUncached(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Rename without the directory's fsync: the new name survives a crash only once
  // SyncDirectory(the parent of `to`) returned Ok. For batches (platform/sync_batcher.h).
  virtual Status RenameUnsynced(const std::string& from, const std::string& to) = 0;
  // fsyncs the directory `dir`: the entries created, renamed or removed in it become durable.
  virtual Status SyncDirectory(const std::string& dir) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Creates `path` and any missing parents, each 0700 whatever the umask; `path` itself is set to
  // 0700 if it existed. Parents that existed are left alone.
  virtual Status CreateDirectories(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
};

// POSIX implementation; one process-wide instance is enough.
Filesystem& DefaultFilesystem();

// The Status that the OS error `err` (an errno value) from operation `what` on `path` becomes:
// NotFound for ENOENT, StorageFull when no more fits (ENOSPC, EDQUOT, and EFBIG past the
// file-size limit), Unavailable for anything else (EIO from a failed fsync…). The message names
// the operation, the path and the OS's text: it is for the log, not for clients.
// FaultInjectingFilesystem (platform/testing/) builds its injected errors with it, so they are
// exactly what the real filesystem returns.
Status ErrnoStatus(int err, std::string_view what, std::string_view path);

// Writes a small file durably: temporary name, fsync, rename.
Status WriteFileAtomically(Filesystem& fs, const std::string& path, std::span<const uint8_t> data);
Result<std::string> ReadSmallFile(Filesystem& fs, const std::string& path, size_t max_size);

}  // namespace sealpost::platform
