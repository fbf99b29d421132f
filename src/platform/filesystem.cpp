#include "platform/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/background_lane.h"

namespace sealpost::platform {
namespace {

// The Status of the error in errno.
Status ErrnoStatus(const std::string& what, const std::string& path) {
  return platform::ErrnoStatus(errno, what, path);
}

// Writes all of `data` (write(2) may take less than asked).
Status WriteAll(int fd, std::span<const uint8_t> data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path);
    }
    if (n == 0) return Unavailable("write " + path + ": no progress");
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncData(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return ErrnoStatus("fdatasync", path);
  return Status::Ok();
}

// Closes `fd` once and marks it closed, so the destructor does not close it again.
Status CloseOnce(int& fd, const std::string& path) {
  const int closing = fd;
  fd = -1;
  if (::close(closing) != 0) return ErrnoStatus("close", path);
  return Status::Ok();
}

// Large files (attachment blobs) start their write-back every kWriteBehindBytes instead of
// leaving it all to Sync(): the disk then works while the rest still arrives, Sync() at the end
// waits for the tail only, and a 1 GiB upload does not pile up a gigabyte of dirty pages first.
constexpr uint64_t kWriteBehindBytes = 8 << 20;

// Starts the disk's write-back of bytes [from, to) of `fd` without waiting for it. Advisory: a
// failure here shows up again, and counts, in the fdatasync that follows.
void StartWriteBack(int fd, uint64_t from, uint64_t to) {
#ifdef __linux__
  if (to > from) {
    (void)::sync_file_range(fd, static_cast<off_t>(from), static_cast<off_t>(to - from),
                            SYNC_FILE_RANGE_WRITE);
  }
#else
  (void)fd, (void)from, (void)to;
#endif
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::span<const uint8_t> data) override {
    SP_RETURN_IF_ERROR(WriteAll(fd_, data, path_));
    appended_ += data.size();
    if (appended_ - written_back_ >= kWriteBehindBytes) {
      StartWriteBack(fd_, written_back_, appended_);
      written_back_ = appended_;
    }
    return Status::Ok();
  }

  Status StartSync() override {
    StartWriteBack(fd_, written_back_, appended_);
    written_back_ = appended_;
    return Status::Ok();
  }
  Status Sync() override { return SyncData(fd_, path_); }
  Status Close() override { return CloseOnce(fd_, path_); }

 private:
  int fd_;
  std::string path_;
  uint64_t appended_ = 0;
  uint64_t written_back_ = 0;  // write-back started for [0, written_back_)
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixReadableFile() override { ::close(fd_); }

  Result<size_t> Read(std::span<uint8_t> out) override {
    for (;;) {
      const ssize_t n = ::read(fd_, out.data(), out.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoStatus("read", path_);
    }
  }

 private:
  int fd_;
  std::string path_;
};

// O_DIRECT wants buffers, offsets and lengths aligned to the device's logical block size;
// 4096 covers every common device.
constexpr size_t kDirectAlign = 4096;
constexpr size_t kDirectBuffer = 1 << 20;
// Most blobs are messages of a few KiB: a writer's buffer starts this small and doubles as
// needed, a reader's is sized to the file, so a 10 KiB blob does not map two MiB.
constexpr size_t kFirstWriteBuffer = 16 * 1024;

size_t RoundUpToAlign(size_t n) { return (n + kDirectAlign - 1) / kDirectAlign * kDirectAlign; }

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, FreeDeleter>;

AlignedBuffer AllocateAligned(size_t size) {
  void* p = nullptr;
  if (::posix_memalign(&p, kDirectAlign, size) != 0) return nullptr;
  return AlignedBuffer(static_cast<uint8_t*>(p));
}

// Turns O_DIRECT off for the rest of the file's life (for an unaligned tail).
bool ClearDirect(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0;
}

// Gathers appends into aligned buffers and writes each whole with O_DIRECT; the unaligned tail
// is written through the page cache by Sync, which then fdatasyncs as usual. A full buffer is
// written on a background lane while the caller fills the other one: O_DIRECT writes block until
// the disk has the data, and an upload would otherwise stop receiving meanwhile. The first
// buffer grows from kFirstWriteBuffer to kDirectBuffer; the second is made when the first is
// full, so only files larger than kDirectBuffer get both.
class DirectWritableFile final : public WritableFile {
 public:
  DirectWritableFile(int fd, std::string path, AlignedBuffer first)
      : fd_(fd), path_(std::move(path)) {
    buffers_[0] = std::move(first);
    capacity_ = kFirstWriteBuffer;
  }
  ~DirectWritableFile() override {
    lane_.Wait();  // a write in flight uses the descriptor and a buffer
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::span<const uint8_t> data) override {
    while (!data.empty()) {
      if (used_ + data.size() > capacity_ && capacity_ < kDirectBuffer) {
        SP_RETURN_IF_ERROR(Grow(used_ + data.size()));
      }
      const size_t take = std::min(capacity_ - used_, data.size());
      std::memcpy(buffers_[current_].get() + used_, data.data(), take);
      used_ += take;
      data = data.subspan(take);
      if (used_ == kDirectBuffer) SP_RETURN_IF_ERROR(StartWritingCurrent());
    }
    return Status::Ok();
  }

  // Writes what is buffered: the aligned part still with O_DIRECT (on the disk when the write
  // returns), the tail through the page cache, whose write-back starts now.
  Status StartSync() override {
    SP_RETURN_IF_ERROR(FinishWriting());
    uint8_t* buffer = buffers_[current_].get();
    const size_t aligned = used_ / kDirectAlign * kDirectAlign;
    if (aligned > 0) SP_RETURN_IF_ERROR(WriteAll(fd_, {buffer, aligned}, path_));
    offset_ += aligned;
    if (used_ > aligned) {
      if (!ClearDirect(fd_)) return ErrnoStatus("fcntl", path_);
      SP_RETURN_IF_ERROR(WriteAll(fd_, {buffer + aligned, used_ - aligned}, path_));
      StartWriteBack(fd_, offset_, offset_ + (used_ - aligned));
      offset_ += used_ - aligned;
    }
    used_ = 0;
    return Status::Ok();
  }

  Status Sync() override {
    SP_RETURN_IF_ERROR(StartSync());
    return SyncData(fd_, path_);
  }

  Status Close() override {
    lane_.Wait();
    return CloseOnce(fd_, path_);
  }

 private:
  // Makes the current buffer hold at least `needed` bytes (up to kDirectBuffer), keeping its
  // contents. Only the first buffer grows: the second is made at full size.
  Status Grow(size_t needed) {
    size_t capacity = capacity_;
    while (capacity < needed && capacity < kDirectBuffer) capacity *= 2;
    capacity = std::min(capacity, kDirectBuffer);
    AlignedBuffer bigger = AllocateAligned(capacity);
    if (!bigger) return Unavailable("out of memory for the write buffer of " + path_);
    std::memcpy(bigger.get(), buffers_[current_].get(), used_);
    buffers_[current_] = std::move(bigger);
    capacity_ = capacity;
    return Status::Ok();
  }

  // Hands the full current buffer to the lane and switches to the other one.
  Status StartWritingCurrent() {
    SP_RETURN_IF_ERROR(FinishWriting());
    if (!buffers_[current_ ^ 1]) {
      buffers_[current_ ^ 1] = AllocateAligned(kDirectBuffer);
      if (!buffers_[current_ ^ 1]) {
        return Unavailable("out of memory for the write buffer of " + path_);
      }
    }
    const uint8_t* full = buffers_[current_].get();
    writing_ = true;
    lane_.Start([this, full] { written_ = WriteAll(fd_, {full, kDirectBuffer}, path_); });
    offset_ += kDirectBuffer;
    current_ ^= 1;
    used_ = 0;
    return Status::Ok();
  }

  // Waits for the write in flight, if any, and returns how it went.
  Status FinishWriting() {
    if (!writing_) return Status::Ok();
    lane_.Wait();
    writing_ = false;
    return written_;
  }

  int fd_;
  std::string path_;
  AlignedBuffer buffers_[2];
  int current_ = 0;  // the buffer being filled; the other one may be being written
  size_t capacity_;  // of the current buffer: below kDirectBuffer only before the first switch
  size_t used_ = 0;
  uint64_t offset_ = 0;  // bytes handed to write(2) so far (the file's size once they land)
  bool writing_ = false;
  Status written_ = Status::Ok();  // set by the lane, read after Wait()
  BackgroundLane lane_;
};

// Reads whole aligned blocks with O_DIRECT into aligned buffers and hands them out in whatever
// sizes the caller asks for. O_DIRECT has no read-ahead, so from the second block on the next
// one is read on a background lane while the caller works through the current one. A file
// smaller than kDirectBuffer gets one buffer of its size (block_, rounded up past its end, so
// that the first read is already short and says end of file) and no second one.
class DirectReadableFile final : public ReadableFile {
 public:
  DirectReadableFile(int fd, std::string path, size_t block, AlignedBuffer first,
                     AlignedBuffer second)
      : fd_(fd), path_(std::move(path)), block_(block) {
    buffers_[0] = std::move(first);
    buffers_[1] = std::move(second);
  }
  ~DirectReadableFile() override {
    lane_.Wait();  // a read in flight uses the descriptor and a buffer
    ::close(fd_);
  }

  Result<size_t> Read(std::span<uint8_t> out) override {
    if (out.empty()) return size_t{0};
    if (offset_ == filled_) {
      if (eof_) return size_t{0};
      SP_RETURN_IF_ERROR(NextBlock());
      if (filled_ == 0) {
        eof_ = true;
        return size_t{0};
      }
    }
    const size_t n = std::min(out.size(), filled_ - offset_);
    std::memcpy(out.data(), buffers_[current_].get() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  struct BlockRead {
    ssize_t bytes = 0;
    int error = 0;
  };

  BlockRead ReadBlock(uint8_t* into) {
    for (;;) {
      const ssize_t n = ::read(fd_, into, block_);
      if (n >= 0) return {n, 0};
      if (errno != EINTR) return {-1, errno};
    }
  }

  Status NextBlock() {
    BlockRead block;
    if (prefetching_) {
      lane_.Wait();
      prefetching_ = false;
      block = prefetched_;
      current_ ^= 1;
    } else {
      block = ReadBlock(buffers_[current_].get());
    }
    if (block.bytes < 0) {
      errno = block.error;
      return ErrnoStatus("read", path_);
    }
    offset_ = 0;
    filled_ = static_cast<size_t>(block.bytes);
    // A short read leaves the file offset unaligned; O_DIRECT would refuse the next one.
    if (filled_ % kDirectAlign != 0 && !ClearDirect(fd_)) return ErrnoStatus("fcntl", path_);
    // More may follow: fetch it meanwhile (without a second buffer, the next call reads it).
    if (filled_ == block_ && buffers_[current_ ^ 1]) {
      uint8_t* next = buffers_[current_ ^ 1].get();
      prefetching_ = true;
      lane_.Start([this, next] { prefetched_ = ReadBlock(next); });
    }
    return Status::Ok();
  }

  int fd_;
  std::string path_;
  size_t block_;  // bytes asked for per read: the buffers' size, a multiple of kDirectAlign
  AlignedBuffer buffers_[2];
  int current_ = 0;  // the buffer being handed out; the other one is being filled
  size_t offset_ = 0;
  size_t filled_ = 0;
  bool eof_ = false;
  bool prefetching_ = false;
  BlockRead prefetched_;  // written by the lane, read after Wait()
  BackgroundLane lane_;
};

// Opens with O_DIRECT, or without it where the filesystem refuses it (tmpfs: EINVAL).
int OpenDirect(const std::string& path, int flags, mode_t mode, bool& direct) {
  int fd = ::open(path.c_str(), flags | O_DIRECT, mode);
  direct = fd >= 0;
  if (fd < 0 && errno == EINVAL) fd = ::open(path.c_str(), flags, mode);
  return fd;
}

Status SyncDirectoryAt(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync directory", dir);
  return Status::Ok();
}

// Files are created 0600, but an existing file keeps its mode through O_TRUNC, and a umask can
// only narrow it: set it outright.
Status OwnerOnly(int fd, const std::string& path) {
  if (::fchmod(fd, 0600) != 0) return ErrnoStatus("chmod", path);
  return Status::Ok();
}

class PosixFilesystem final : public Filesystem {
 public:
  Result<std::unique_ptr<WritableFile>> CreateWritable(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus("create", path);
    if (Status s = OwnerOnly(fd, path); !s.ok()) {
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path);
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
  }

  Result<std::unique_ptr<WritableFile>> CreateUncached(const std::string& path) override {
    bool direct = false;
    const int fd = OpenDirect(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600, direct);
    if (fd < 0) return ErrnoStatus("create", path);
    if (Status s = OwnerOnly(fd, path); !s.ok()) {
      ::close(fd);
      return s;
    }
    AlignedBuffer first = direct ? AllocateAligned(kFirstWriteBuffer) : nullptr;
    if (!first) {
      if (direct) (void)ClearDirect(fd);  // no buffer to align writes with
      return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
    }
    return std::unique_ptr<WritableFile>(new DirectWritableFile(fd, path, std::move(first)));
  }

  Result<std::unique_ptr<ReadableFile>> OpenUncached(const std::string& path) override {
    bool direct = false;
    const int fd = OpenDirect(path, O_RDONLY | O_CLOEXEC, 0, direct);
    if (fd < 0) return ErrnoStatus("open", path);
    // Blobs are not changed once written: size the buffers to the file (+1 byte, so that the
    // read of a file of whole blocks is short too).
    struct stat st;
    const bool small = ::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < kDirectBuffer;
    const size_t block =
        small ? std::min(RoundUpToAlign(static_cast<size_t>(st.st_size) + 1), kDirectBuffer)
              : kDirectBuffer;
    AlignedBuffer first = direct ? AllocateAligned(block) : nullptr;
    AlignedBuffer second = first && !small ? AllocateAligned(kDirectBuffer) : nullptr;
    if (!first || (!small && !second)) {
      if (direct) (void)ClearDirect(fd);  // no buffers to align reads with
      return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
    }
    return std::unique_ptr<ReadableFile>(
        new DirectReadableFile(fd, path, block, std::move(first), std::move(second)));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    SP_RETURN_IF_ERROR(RenameUnsynced(from, to));
    return SyncDirectoryAt(std::filesystem::path(to).parent_path().string());
  }

  Status RenameUnsynced(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename", from);
    return Status::Ok();
  }

  Status SyncDirectory(const std::string& dir) override { return SyncDirectoryAt(dir); }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("remove", path);
    return Status::Ok();
  }

  // Every directory created here is 0700 whatever the umask, the intermediate ones too; the
  // last one is made 0700 even when it existed. Existing parents are left as they are.
  Status CreateDirectories(const std::string& path) override {
    const std::filesystem::path target = std::filesystem::path(path).lexically_normal();
    struct stat st;
    // Mostly the directory is there already: one stat instead of a mkdir per component.
    if (::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700) {
      return Status::Ok();
    }
    std::filesystem::path built;
    for (const auto& part : target) {
      built /= part;
      if (part.empty() || part == "/" || part == "." || part == "..") continue;
      if (::mkdir(built.c_str(), 0700) == 0) {
        if (::chmod(built.c_str(), 0700) != 0) return ErrnoStatus("chmod", built.string());
        // The new entry is durable only once its parent is synced: files later made (and synced)
        // inside it must not vanish with it after a power cut. Once per directory made.
        SP_RETURN_IF_ERROR(SyncDirectoryAt(built.parent_path().string()));
      } else if (errno != EEXIST) {
        return ErrnoStatus("create directory", built.string());
      }
    }
    if (::stat(target.c_str(), &st) != 0) return ErrnoStatus("create directory", path);
    if (!S_ISDIR(st.st_mode)) return Unavailable("create directory " + path + ": not a directory");
    if ((st.st_mode & 07777) != 0700 && ::chmod(target.c_str(), 0700) != 0) {
      return ErrnoStatus("chmod", path);
    }
    return Status::Ok();
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path);
    return static_cast<uint64_t>(st.st_size);
  }
};

}  // namespace

Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string message = std::string(what) + " " + std::string(path) + ": " + std::strerror(err);
  if (err == ENOENT) return NotFound(std::move(message));
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) return StorageFull(std::move(message));
  return Unavailable(std::move(message));
}

Filesystem& DefaultFilesystem() {
  static PosixFilesystem fs;
  return fs;
}

Status WriteFileAtomically(Filesystem& fs, const std::string& path, std::span<const uint8_t> data) {
  const std::string tmp = path + ".tmp";
  SP_ASSIGN_OR_RETURN(auto file, fs.CreateWritable(tmp));
  Status s = file->Append(data);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (s.ok()) s = fs.Rename(tmp, path);
  if (!s.ok()) (void)fs.Remove(tmp);
  return s;
}

Result<std::string> ReadSmallFile(Filesystem& fs, const std::string& path, size_t max_size) {
  SP_ASSIGN_OR_RETURN(auto file, fs.OpenReadable(path));
  std::string out;
  uint8_t buf[4096];
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, file->Read(buf));
    if (n == 0) break;
    if (out.size() + n > max_size) return TooLarge("file too large: " + path);
    out.append(reinterpret_cast<const char*>(buf), n);
  }
  return out;
}

}  // namespace sealpost::platform
