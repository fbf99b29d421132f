#include "cmd/admin_rotate_master_key.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "app/master_key_rotation.h"
#include "cmd/data_dir_lock.h"
#include "cmd/open_store.h"
#include "keys/secret_file.h"
#include "platform/filesystem.h"

namespace sealpost::cmd {
namespace {

int Fail(std::string_view what) {
  std::cerr << "sealpost admin rotate-master-key: " << what << "\n";
  return 2;
}

// SEALPOST_TEST_ROTATION_CRASH: where the integration test wants the process to die.
struct CrashPoint {
  std::optional<size_t> after_rows;
  bool at_switch = false;
};

CrashPoint CrashPointFromEnv() {
  CrashPoint point;
  const char* value = std::getenv("SEALPOST_TEST_ROTATION_CRASH");
  if (value == nullptr) return point;
  const std::string text(value);
  if (text == "switch") point.at_switch = true;
  if (text.rfind("rows:", 0) == 0) point.after_rows = std::strtoull(text.c_str() + 5, nullptr, 10);
  return point;
}

// Step 4: the old key file's bytes overwritten in place by the new key file's, then fsynced, so
// that the old key's bytes do not stay in the file's blocks (on a filesystem that writes in place;
// see docs/operations.md for copy-on-write filesystems and backups).
Status OverwriteInPlace(platform::Filesystem& fs, const std::string& path,
                        const std::string& new_key_path) {
  SP_ASSIGN_OR_RETURN(const crypto::SecretString text,
                      keys::ReadSecretFile(fs, new_key_path, 1024));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return platform::ErrnoStatus(errno, "open", path);
  const ByteView bytes = text.bytes().view();
  Status s = Status::Ok();
  size_t done = 0;
  while (s.ok() && done < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      s = platform::ErrnoStatus(errno, "write", path);
    else
      done += static_cast<size_t>(n);
  }
  if (s.ok() && ::ftruncate(fd, static_cast<off_t>(bytes.size())) != 0) {
    s = platform::ErrnoStatus(errno, "truncate", path);
  }
  if (s.ok() && ::fsync(fd) != 0) s = platform::ErrnoStatus(errno, "fsync", path);
  ::close(fd);
  return s;
}

}  // namespace

std::string PendingMasterKeyPath(const std::string& master_key_path) {
  return master_key_path + ".next";
}

int AdminRotateMasterKey(const Config& config) {
  if (const char* env = std::getenv("SEALPOST_MASTER_KEY"); env && *env) {
    return Fail(
        "the master key comes from SEALPOST_MASTER_KEY; this command rotates the key file only "
        "(unset the variable and put the key into " +
        config.MasterKeyPath() + " first)");
  }
  auto& fs = platform::DefaultFilesystem();
  auto lock = DataDirLock::Acquire(config.data_dir, LockMode::kExclusive);
  if (!lock.ok()) return Fail(lock.status().message());

  const std::string current_path = config.MasterKeyPath();
  const std::string pending_path = PendingMasterKeyPath(current_path);
  const CrashPoint crash = CrashPointFromEnv();

  // Step 1: the new key, or the one of an interrupted run.
  std::optional<keys::MasterKey> current;
  std::optional<keys::MasterKey> next;
  const bool resuming = fs.Exists(pending_path);
  if (resuming) {
    auto loaded = keys::MasterKey::LoadFile(fs, pending_path);
    if (!loaded.ok()) return Fail("the pending key: " + loaded.status().ToString());
    next.emplace(std::move(*loaded));
    std::cout << "Resuming the interrupted rotation (" << pending_path << ").\n" << std::flush;
  }
  auto loaded_current = keys::MasterKey::LoadFile(fs, current_path);
  if (loaded_current.ok()) {
    current.emplace(std::move(*loaded_current));
  } else if (!resuming) {
    return Fail("the current key: " + loaded_current.status().ToString());
  }
  if (!resuming) {
    // A new key whose id differs from the old one's, so frames tell them apart.
    for (;;) {
      auto created = keys::MasterKey::CreateFile(fs, pending_path);
      if (!created.ok()) return Fail("writing the new key: " + created.status().ToString());
      if (created->key_id() != current->key_id()) {
        next.emplace(std::move(*created));
        break;
      }
      if (Status s = fs.Remove(pending_path); !s.ok()) return Fail(s.ToString());
    }
  }
  // After step 4 the current file holds the new key already: the old one is gone for good.
  if (current && current->key_id() == next->key_id()) current.reset();

  auto store = OpenStore(config.store_url, config.DatabasePath(), 2);
  if (!store.ok()) return Fail("database: " + store.status().ToString());

  // Step 2.
  app::RewrapOptions options;
  if (crash.after_rows) {
    options.batch_rows = 1;
    options.after_batch = [&](size_t rewrapped) {
      if (rewrapped >= *crash.after_rows) ::_exit(99);
    };
  }
  auto report = app::RewrapMasterWraps(**store, current ? &*current : nullptr, *next, options);
  if (!report.ok()) return Fail(report.status().ToString());
  // Step 3.
  auto opened = app::CheckAllOpenUnder(**store, *next);
  if (!opened.ok()) return Fail(opened.status().ToString());
  // One audited event per run that got this far (a resumed run records its own counts).
  if (Status s = app::RecordRotation(**store, std::chrono::system_clock::now(), *report, *opened);
      !s.ok()) {
    return Fail("recording the audit event: " + s.ToString());
  }
  store->reset();

  // Steps 4 and 5.
  if (current) {
    if (Status s = OverwriteInPlace(fs, current_path, pending_path); !s.ok()) {
      return Fail("replacing the old key: " + s.ToString());
    }
  }
  if (crash.at_switch) ::_exit(99);
  if (Status s = fs.Rename(pending_path, current_path); !s.ok()) {
    return Fail("replacing the old key: " + s.ToString());
  }
  std::cout << fmt::format(
      "Rotated the master key: {} secrets re-wrapped now, {} were already (an interrupted run), "
      "{} checked under the new key.\nThe old key is overwritten. Backups made before now still "
      "hold it: handle them as docs/operations.md says.\n",
      report->rewrapped, report->already_new, *opened);
  return 0;
}

}  // namespace sealpost::cmd
