// sqlite_baseline: the same-run baseline for http_send_load.
//
// What it measures: how many durable 4 KiB rows per second this machine's disk and SQLite accept
// when every row is its own transaction (BEGIN; INSERT; COMMIT) with journal_mode=WAL and
// synchronous=FULL — the settings Sealpost's store uses — from a single thread. Each COMMIT
// ends in an fsync of the WAL, so the figure is essentially the disk's fsync rate for small
// appends. It is the floor a naive "one transaction per message" server could not beat on the
// same disk; Sealpost's send path does more work per message (TLS, sealing, signatures, audit
// log, blob files) but can amortise fsyncs across concurrent senders (group commit).
//
// Run it against a directory on the same file system as the server's data directory, in the
// same run, so that both figures see the same disk and the same machine load. The database file
// is created fresh and removed afterwards.
//
// The last line of output is machine-readable ("RESULT key=value ...") for bench/run.sh.

#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

bool Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s: %s\n", sql, message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return false;
  }
  return true;
}

StmtPtr Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: prepare %s: %s\n", sql, sqlite3_errmsg(db));
    return nullptr;
  }
  return StmtPtr(stmt);
}

// Runs a prepared statement that returns no rows, then resets it for the next use.
bool Step(sqlite3* db, sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) {
    std::fprintf(stderr, "sqlite: %s: %s\n", sqlite3_sql(stmt), sqlite3_errmsg(db));
    return false;
  }
  return true;
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((path + suffix).c_str());
  }
}

void Usage() {
  std::fprintf(stderr,
               "usage: sqlite_baseline --dir DIR [--seconds 10] [--warmup 1] [--row-bytes 4096]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  double seconds = 10;
  double warmup_seconds = 1;
  size_t row_bytes = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--warmup") {
      warmup_seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--row-bytes") {
      row_bytes = std::strtoul(argv[i + 1], nullptr, 10);
    } else {
      Usage();
      return 1;
    }
  }
  if (dir.empty() || argc % 2 == 0 || seconds <= 0 || warmup_seconds < 0) {
    Usage();
    return 1;
  }
  if (sodium_init() < 0) return 1;

  const std::string path = dir + "/sqlite-baseline.db";
  RemoveDatabase(path);
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::fprintf(stderr, "sqlite: cannot open %s: %s\n", path.c_str(), sqlite3_errmsg(raw));
    sqlite3_close_v2(raw);
    return 1;
  }
  DbPtr db(raw);
  if (!Exec(db.get(), "PRAGMA journal_mode = WAL") ||
      !Exec(db.get(), "PRAGMA synchronous = FULL") ||
      !Exec(db.get(), "CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")) {
    return 1;
  }
  StmtPtr begin = Prepare(db.get(), "BEGIN");
  StmtPtr insert = Prepare(db.get(), "INSERT INTO rows (body) VALUES (?1)");
  StmtPtr commit = Prepare(db.get(), "COMMIT");
  if (!begin || !insert || !commit) return 1;

  // Random bytes, as ciphertext would be; refreshed per row so no two rows are identical.
  std::vector<uint8_t> body(row_bytes);
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 16);
  uint64_t rows = 0;
  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const Clock::time_point measure_from = Clock::now() + to_duration(warmup_seconds);
  const Clock::time_point stop_at = measure_from + to_duration(seconds);
  for (;;) {
    randombytes_buf(body.data(), body.size());
    const Clock::time_point start = Clock::now();
    if (start >= stop_at) break;
    if (!Step(db.get(), begin.get())) return 1;
    sqlite3_bind_blob(insert.get(), 1, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (!Step(db.get(), insert.get())) return 1;
    if (!Step(db.get(), commit.get())) return 1;  // fsyncs the WAL (synchronous=FULL)
    const Clock::time_point end = Clock::now();
    if (start >= measure_from && end <= stop_at) {
      ++rows;
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
  }
  begin.reset();
  insert.reset();
  commit.reset();
  db.reset();
  RemoveDatabase(path);

  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto percentile = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[static_cast<size_t>(p * static_cast<double>(latencies_ms.size() - 1))];
  };
  const double rate = static_cast<double>(rows) / seconds;
  std::printf(
      "sqlite_baseline: %zu-byte rows, one WAL transaction each (synchronous=FULL), "
      "%.0f s measured after %.0f s warm-up, in %s\n",
      row_bytes, seconds, warmup_seconds, dir.c_str());
  std::printf("  rows committed: %llu\n", static_cast<unsigned long long>(rows));
  std::printf("  throughput: %.1f rows/s\n", rate);
  std::printf("  commit latency: p50 %.3f ms, p99 %.3f ms\n", percentile(0.5), percentile(0.99));
  std::printf("RESULT rows_per_s=%.1f p50_ms=%.3f p99_ms=%.3f\n", rate, percentile(0.5),
              percentile(0.99));
  return rows > 0 ? 0 : 1;
}
