// The process's file-size limit (RLIMIT_FSIZE), lowered for a test and restored however it ends:
// a write that would take a file past `bytes` then fails with EFBIG (SIGXFSZ is ignored meanwhile
// instead of ending the process), as a write to a full disk fails. It stands for a full disk for
// code that does its own file I/O (SQLite) where the Filesystem seam cannot reach.
//
// The limit is per process and per file: every thread is affected, every file may reach `bytes`
// and no further. Not for tests that run concurrently with others in one process.
#pragma once

#include <sys/resource.h>

#include <csignal>

namespace sealpost::testutil {

class FileSizeLimit final {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ok_ = ::getrlimit(RLIMIT_FSIZE, &saved_) == 0;
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    ok_ = ok_ && ::setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~FileSizeLimit() { Lift(); }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

  // Whether the limit is in force (setrlimit may refuse).
  bool ok() const { return ok_; }
  // Restores the limit and the signal handler from before; safe to call more than once.
  void Lift() {
    if (lifted_) return;
    lifted_ = true;
    (void)::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
  bool lifted_ = false;
};

}  // namespace sealpost::testutil
