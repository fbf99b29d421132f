#include "cmd/admin_backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "blob/raw_blob_store.h"
#include "cmd/backup_manifest.h"
#include "cmd/data_dir_lock.h"
#include "cmd/open_store.h"
#include "core/encoding.h"
#include "core/time.h"
#include "crypto/hash.h"
#include "platform/filesystem.h"

namespace sealpost::cmd {
namespace {

namespace stdfs = std::filesystem;

constexpr std::string_view kInfoName = "backup-info.txt";
constexpr std::string_view kFormatLine = "sealpost-backup 1";
constexpr std::string_view kDatabaseName = "sealpost.db";
constexpr std::string_view kBlobDirName = "blobs";
// Where the PostgreSQL guidance puts pg_dump's output: inside the backup, outside its manifest.
constexpr std::string_view kPgDumpName = "sealpost.pgdump";

int Fail(std::string_view command, std::string_view what) {
  std::cerr << "sealpost admin " << command << ": " << what << "\n";
  return 2;
}

// Absent, or an empty directory.
Status CheckUsableTarget(const std::string& path) {
  std::error_code ec;
  const auto status = stdfs::symlink_status(path, ec);
  if (ec || !stdfs::exists(status)) return Status::Ok();
  if (!stdfs::is_directory(status)) return Conflict(path + " exists and is not a directory");
  if (!stdfs::is_empty(path, ec) || ec) return Conflict(path + " exists and is not empty");
  return Status::Ok();
}

// A fresh staging directory beside `target` (same filesystem, so the final rename is atomic).
Result<std::string> MakeStaging(platform::Filesystem& fs, const std::string& target) {
  std::string base = target;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  const std::string staging = fmt::format("{}.partial-{}", base, ::getpid());
  std::error_code ec;
  if (stdfs::exists(staging, ec)) stdfs::remove_all(staging, ec);  // a killed run of this pid
  SP_RETURN_IF_ERROR(fs.CreateDirectories(staging));
  return staging;
}

// Removes the staging directory of a failed run, so nothing half-written stays.
class StagingGuard {
 public:
  explicit StagingGuard(std::string path) : path_(std::move(path)) {}
  ~StagingGuard() {
    if (armed_) {
      std::error_code ec;
      stdfs::remove_all(path_, ec);
    }
  }
  void Release() { armed_ = false; }

 private:
  std::string path_;
  bool armed_ = true;
};

Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return platform::ErrnoStatus(errno, "open", path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return platform::ErrnoStatus(err, "fsync", path);
  return Status::Ok();
}

// Copies one file (created 0600, fsynced) and returns the SHA-256 of the bytes copied.
Result<crypto::Digest256> CopyFile(platform::Filesystem& fs, const std::string& from,
                                   const std::string& to) {
  SP_ASSIGN_OR_RETURN(auto in, fs.OpenReadable(from));
  SP_ASSIGN_OR_RETURN(auto out, fs.CreateWritable(to));
  crypto::Sha256Hasher hasher;
  Bytes buffer(1 << 16);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, in->Read(buffer));
    if (n == 0) break;
    const ByteView piece(buffer.data(), n);
    hasher.Update(piece);
    SP_RETURN_IF_ERROR(out->Append(piece));
  }
  SP_RETURN_IF_ERROR(out->Sync());
  SP_RETURN_IF_ERROR(out->Close());
  return hasher.Finish();
}

Result<crypto::Digest256> HashFile(platform::Filesystem& fs, const std::string& path) {
  SP_ASSIGN_OR_RETURN(auto in, fs.OpenReadable(path));
  crypto::Sha256Hasher hasher;
  Bytes buffer(1 << 16);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, in->Read(buffer));
    if (n == 0) break;
    hasher.Update(ByteView(buffer.data(), n));
  }
  return hasher.Finish();
}

// Every regular file under `root`, as relative paths, except under the top-level directory
// `skip_dir`; InvalidArgument for anything else there (a symbolic link, a device). An entry that
// vanishes while being listed (a live server's temporary file) is left out.
Result<std::vector<std::string>> ListFiles(const std::string& root,
                                           std::string_view skip_dir = {}) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(root, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(root).generic_string();
    std::error_code entry_ec;
    const auto type = it->symlink_status(entry_ec).type();
    if (entry_ec || type == stdfs::file_type::not_found) continue;
    if (type == stdfs::file_type::directory) {
      if (!skip_dir.empty() && rel == skip_dir) it.disable_recursion_pending();
      continue;
    }
    if (type != stdfs::file_type::regular) return InvalidArgument(rel + " is not a regular file");
    files.push_back(rel);
  }
  if (ec) return Unavailable("listing " + root + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Status SyncTree(const std::string& root) {
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(root, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) SP_RETURN_IF_ERROR(SyncDirectory(it->path().string()));
  }
  if (ec) return Unavailable("listing " + root + ": " + ec.message());
  return SyncDirectory(root);
}

// Whether a data-directory file belongs in a backup besides the database and the blobs: the
// database's own files and blobs are copied their own way, temporary files not at all.
bool IsPlainDataFile(const std::string& rel) {
  const auto ends_with = [&](std::string_view suffix) {
    return rel.size() >= suffix.size() && rel.compare(rel.size() - suffix.size(), suffix.size(),
                                                      suffix.data(), suffix.size()) == 0;
  };
  if (rel.rfind(std::string(kDatabaseName), 0) == 0 && rel.find('/') == std::string::npos) {
    return false;  // sealpost.db, -wal, -shm, -journal
  }
  if (rel.rfind(std::string(kBlobDirName) + "/", 0) == 0) return false;
  if (rel == kDataDirLockName) return false;
  return !ends_with(".tmp") && !ends_with(".part");
}

// Copies one blob's bytes unchanged (ciphertext: no key needed).
Status CopyBlob(blob::RawBlobStore& from, blob::RawBlobStore& to, const BlobId& id) {
  SP_ASSIGN_OR_RETURN(auto reader, from.Open(id));
  SP_ASSIGN_OR_RETURN(auto writer, to.Create(id));
  Bytes buffer(1 << 16);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, reader->Read(buffer));
    if (n == 0) break;
    SP_RETURN_IF_ERROR(writer->Append(ByteView(buffer.data(), n)));
  }
  return writer->Commit();
}

struct BlobCounts {
  size_t copied = 0;
  size_t gone = 0;  // removed by the server after the snapshot (an upload taken or expired)
};

// The blobs the snapshot at `snapshot_db` refers to that are files (the small ones are rows of
// the snapshot itself: store/sqlite/sqlite_blobs.h). One that is missing must have been removed
// after the snapshot, so the live database no longer names it; if it still does, it is lost.
Result<BlobCounts> CopyReferencedBlobs(platform::Filesystem& fs, const Config& config,
                                       const std::string& snapshot_db,
                                       const std::string& target_blobs) {
  SP_ASSIGN_OR_RETURN(const auto ids, SqliteFileBlobIds(snapshot_db));
  SP_ASSIGN_OR_RETURN(auto from, blob::OpenLocalRawBlobStore(fs, config.BlobDir()));
  SP_ASSIGN_OR_RETURN(auto to, blob::OpenLocalRawBlobStore(fs, target_blobs));
  BlobCounts counts;
  for (const BlobId& id : ids) {
    Status s = CopyBlob(*from, *to, id);
    if (s.code() == ErrorCode::kNotFound) {
      SP_ASSIGN_OR_RETURN(const auto live, SqliteFileBlobIds(config.DatabasePath()));
      if (std::find(live.begin(), live.end(), id) != live.end()) {
        return Corruption("blob " + id.str() + " is referenced but missing from " +
                          config.BlobDir());
      }
      ++counts.gone;
      continue;
    }
    if (!s.ok()) return Status(s.code(), "blob " + id.str() + ": " + s.message());
    ++counts.copied;
  }
  // The blob store's scratch directory is not part of the copy.
  std::error_code ec;
  stdfs::remove_all(target_blobs + "/tmp", ec);
  return counts;
}

Status WriteManifest(platform::Filesystem& fs, const std::string& root) {
  SP_ASSIGN_OR_RETURN(const auto files, ListFiles(root));
  Manifest manifest;
  for (const std::string& rel : files) {
    if (!IsSafeRelativePath(rel)) return InvalidArgument("cannot back up the file name " + rel);
    SP_ASSIGN_OR_RETURN(manifest[rel], HashFile(fs, root + "/" + rel));
  }
  SP_RETURN_IF_ERROR(SyncTree(root));
  return platform::WriteFileAtomically(fs, root + "/" + std::string(kManifestName),
                                       AsBytes(FormatManifest(manifest)));
}

Status Finish(platform::Filesystem& fs, const std::string& staging, const std::string& target) {
  std::error_code ec;
  if (stdfs::exists(target, ec)) stdfs::remove(target, ec);  // checked empty before
  if (ec) return Unavailable("replacing " + target + ": " + ec.message());
  return fs.Rename(staging, target);
}

Result<std::string> Backup(platform::Filesystem& fs, const Config& config,
                           const std::string& staging) {
  const bool sqlite = config.store_url.empty();
  std::string summary;
  if (sqlite) {
    // The order matters: the snapshot first, then the blobs it names (see the header).
    const std::string db = staging + "/" + std::string(kDatabaseName);
    SP_RETURN_IF_ERROR(SnapshotSqlite(config.DatabasePath(), db));
    SP_ASSIGN_OR_RETURN(
        const BlobCounts counts,
        CopyReferencedBlobs(fs, config, db, staging + "/" + std::string(kBlobDirName)));
    summary = fmt::format("database snapshot, {} blobs", counts.copied);
    if (counts.gone > 0) {
      summary += fmt::format(" ({} removed by the server after the snapshot)", counts.gone);
    }
  }
  SP_ASSIGN_OR_RETURN(const auto files, ListFiles(config.data_dir, kBlobDirName));
  size_t copied = 0;
  for (const std::string& rel : files) {
    if (!IsPlainDataFile(rel)) continue;
    const size_t slash = rel.rfind('/');
    if (slash != std::string::npos) {
      SP_RETURN_IF_ERROR(fs.CreateDirectories(staging + "/" + rel.substr(0, slash)));
    }
    auto digest = CopyFile(fs, config.data_dir + "/" + rel, staging + "/" + rel);
    if (!digest.ok()) return digest.status();
    ++copied;
  }
  summary += fmt::format("{}{} key and certificate files", summary.empty() ? "" : ", ", copied);
  const std::string info = fmt::format("{}\ncreated {}\nstore {}\n", kFormatLine,
                                       FormatRfc3339(std::chrono::system_clock::now()),
                                       sqlite ? "sqlite" : "postgresql");
  SP_RETURN_IF_ERROR(
      platform::WriteFileAtomically(fs, staging + "/" + std::string(kInfoName), AsBytes(info)));
  SP_RETURN_IF_ERROR(WriteManifest(fs, staging));
  return summary;
}

void PrintPostgresBackupGuidance(const std::string& target) {
  std::cout << "The store is PostgreSQL: records and blobs are in the database. Dump it now,\n"
               "with the same master key as the files just copied:\n\n"
               "  pg_dump --format=custom --file="
            << target << "/" << kPgDumpName
            << " 'postgresql://…'\n\n"
               "pg_dump reads one consistent snapshot while the servers keep running.\n"
               "Restore with pg_restore into an empty database (docs/operations.md).\n";
}

// The files of a backup checked against its manifest: every listed file present with its
// digest, nothing else there.
Result<Manifest> VerifyBackup(platform::Filesystem& fs, const std::string& dir) {
  auto text =
      platform::ReadSmallFile(fs, dir + "/" + std::string(kManifestName), kMaxManifestBytes);
  if (!text.ok()) return NotFound("no manifest " + std::string(kManifestName) + " in " + dir);
  SP_ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(*text));
  SP_ASSIGN_OR_RETURN(const auto files, ListFiles(dir));
  for (const std::string& rel : files) {
    if (rel != kManifestName && rel != kPgDumpName && manifest.count(rel) == 0) {
      return Corruption(rel + " is in the backup but not in its manifest");
    }
  }
  for (const auto& [rel, digest] : manifest) {
    auto actual = HashFile(fs, dir + "/" + rel);
    if (!actual.ok()) return Corruption(rel + " is in the manifest but missing");
    if (*actual != digest) return Corruption(rel + " does not match its SHA-256 in the manifest");
  }
  if (manifest.count(std::string(kInfoName)) == 0) return Corruption("no backup-info.txt");
  return manifest;
}

}  // namespace

int AdminBackup(const Config& config, const std::string& target_dir) {
  auto& fs = platform::DefaultFilesystem();
  if (Status s = CheckUsableTarget(target_dir); !s.ok()) return Fail("backup", s.message());
  if (config.store_url.empty() && !fs.Exists(config.DatabasePath())) {
    return Fail("backup", "no database at " + config.DatabasePath());
  }
  // Shared, like a server's: no master-key rotation may run while the keys are copied.
  auto lock = DataDirLock::Acquire(config.data_dir, LockMode::kShared);
  if (!lock.ok()) return Fail("backup", lock.status().message());
  auto staging = MakeStaging(fs, target_dir);
  if (!staging.ok()) return Fail("backup", staging.status().ToString());
  StagingGuard guard(*staging);
  auto summary = Backup(fs, config, *staging);
  if (!summary.ok()) return Fail("backup", summary.status().ToString());
  if (Status s = Finish(fs, *staging, target_dir); !s.ok()) return Fail("backup", s.ToString());
  guard.Release();
  std::cout << "Backed up to " << target_dir << ": " << *summary << ".\n"
            << "It holds the master key: keep it as safe as the server itself.\n";
  if (!config.store_url.empty()) PrintPostgresBackupGuidance(target_dir);
  return 0;
}

int AdminRestore(const std::string& backup_dir, const std::string& new_data_dir) {
  auto& fs = platform::DefaultFilesystem();
  auto manifest = VerifyBackup(fs, backup_dir);
  if (!manifest.ok()) {
    return Fail("restore", "the backup does not verify: " + manifest.status().message());
  }
  auto info = platform::ReadSmallFile(fs, backup_dir + "/" + std::string(kInfoName), 4096);
  if (!info.ok() || info->rfind(std::string(kFormatLine) + "\n", 0) != 0) {
    return Fail("restore", "not a backup of this format (backup-info.txt)");
  }
  const bool postgres = info->find("\nstore postgresql\n") != std::string::npos;
  if (Status s = CheckUsableTarget(new_data_dir); !s.ok()) return Fail("restore", s.message());

  auto staging = MakeStaging(fs, new_data_dir);
  if (!staging.ok()) return Fail("restore", staging.status().ToString());
  StagingGuard guard(*staging);
  for (const auto& [rel, digest] : *manifest) {
    if (rel == kInfoName) continue;  // describes the backup, not part of the data directory
    const size_t slash = rel.rfind('/');
    if (slash != std::string::npos) {
      if (Status s = fs.CreateDirectories(*staging + "/" + rel.substr(0, slash)); !s.ok()) {
        return Fail("restore", s.ToString());
      }
    }
    auto copied = CopyFile(fs, backup_dir + "/" + rel, *staging + "/" + rel);
    if (!copied.ok()) return Fail("restore", copied.status().ToString());
    // What was written is what was read; check once more that it is what the manifest says.
    if (*copied != digest) return Fail("restore", rel + " changed while it was being restored");
  }
  if (Status s = SyncTree(*staging); !s.ok()) return Fail("restore", s.ToString());
  if (Status s = Finish(fs, *staging, new_data_dir); !s.ok()) return Fail("restore", s.ToString());
  guard.Release();
  std::cout << "Restored " << manifest->size() - 1 << " files into " << new_data_dir << ".\n";
  if (postgres) {
    std::cout << "The records are in the PostgreSQL dump: restore it into an empty database\n"
                 "  createdb sealpost && pg_restore --dbname='postgresql://…' --no-owner "
              << backup_dir << "/" << kPgDumpName
              << "\n"
                 "and point [store] url at it.\n";
  }
  std::cout << "Check it with `sealpost verify audit --data-dir " << new_data_dir
            << "`, then start `sealpost serve --data-dir " << new_data_dir << "`.\n";
  return 0;
}

}  // namespace sealpost::cmd
