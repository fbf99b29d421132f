// An advisory lock on a data directory (flock(2) on <data-dir>/sealpost.lock), so that the
// commands that must not meet a running server can tell: `sealpost serve` and `admin backup`
// hold it shared (several at once), `admin rotate-master-key` exclusive. Released when the
// object goes away or the process dies (kill -9 included), so a crash leaves no stale lock.
//
// It covers one host's data directory only: servers on other hosts sharing a PostgreSQL
// database are not seen (docs/operations.md). Move-only; not shared between threads.
#pragma once

#include <string>

#include "core/status.h"

namespace sealpost::cmd {

enum class LockMode { kShared, kExclusive };

class DataDirLock final {
 public:
  // Conflict when another process holds the lock in a mode that excludes `mode`; never waits.
  static Result<DataDirLock> Acquire(const std::string& data_dir, LockMode mode);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

inline constexpr const char* kDataDirLockName = "sealpost.lock";

}  // namespace sealpost::cmd
