#include "cmd/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "platform/filesystem.h"

namespace sealpost::cmd {

Result<DataDirLock> DataDirLock::Acquire(const std::string& data_dir, LockMode mode) {
  const std::string path = data_dir + "/" + kDataDirLockName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return platform::ErrnoStatus(errno, "open", path);
  DataDirLock lock(fd);
  const int operation = (mode == LockMode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  while (::flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return Conflict(mode == LockMode::kShared
                          ? "another command holds " + data_dir +
                                " for itself (a master-key "
                                "rotation?)"
                          : "a server or a backup is using " + data_dir + ": stop it first");
    }
    return platform::ErrnoStatus(errno, "flock", path);
  }
  return lock;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the lock
}

}  // namespace sealpost::cmd
