#include "store/sqlite/sqlite_backup.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

namespace sealpost::store::sqlite {
namespace {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, SqliteCloser>;

Result<Db> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Unavailable("opening " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

// One backup attempt: every page in a single step, so the source is read in one read
// transaction (a stepwise copy would restart whenever the server commits in between).
// `busy` tells a lock held by the server (worth another try) from anything else.
Status CopyAll(sqlite3* from, sqlite3* to, bool* busy) {
  *busy = false;
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return Unavailable(std::string("backup: ") + sqlite3_errmsg(to));
  const int step = sqlite3_backup_step(backup, -1);
  const int finish = sqlite3_backup_finish(backup);  // frees `backup` whatever happened
  if (step != SQLITE_DONE) {
    *busy = (step & 0xff) == SQLITE_BUSY || (step & 0xff) == SQLITE_LOCKED;
    return Unavailable(std::string("backup step: ") + sqlite3_errstr(step));
  }
  if (finish != SQLITE_OK) return Unavailable(std::string("backup: ") + sqlite3_errmsg(to));
  return Status::Ok();
}

Status Backup(const std::string& source, const std::string& target) {
  SP_ASSIGN_OR_RETURN(Db from, OpenDb(source, SQLITE_OPEN_READONLY));
  SP_ASSIGN_OR_RETURN(Db to, OpenDb(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  if (::chmod(target.c_str(), 0600) != 0) return Unavailable("chmod " + target);
  // FULL: the copy's commit is fsynced (its journal as well) before the backup returns.
  sqlite3_exec(to.get(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  Status s = Status::Ok();
  // The server's writer may hold the lock for a checkpoint; a few retries are plenty.
  for (int attempt = 0; attempt < 5; ++attempt) {
    bool busy = false;
    s = CopyAll(from.get(), to.get(), &busy);
    if (s.ok() || !busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
  }
  SP_RETURN_IF_ERROR(s);
  // The copy is a self-contained file: no -wal beside it for a restore to forget.
  char* error = nullptr;
  if (sqlite3_exec(to.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string text = error ? error : "?";
    sqlite3_free(error);
    return Unavailable("finishing the copy: " + text);
  }
  return Status::Ok();
}

}  // namespace

Status BackupSqliteDatabase(const std::string& source, const std::string& target) {
  struct stat st;
  if (::stat(target.c_str(), &st) == 0) return Conflict(target + " already exists");
  if (::stat(source.c_str(), &st) != 0) return NotFound("no database at " + source);
  Status s = Backup(source, target);
  if (!s.ok()) {
    ::unlink(target.c_str());
    ::unlink((target + "-journal").c_str());
    ::unlink((target + "-wal").c_str());
  }
  return s;
}

}  // namespace sealpost::store::sqlite
