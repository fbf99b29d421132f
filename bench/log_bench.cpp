// log_bench: the transparency log's sequencer and proof reads (issue 14's benchmark 1).
//
// What it measures, on SQLite in a fresh directory (the store Sealpost uses by default, WAL,
// synchronous=FULL):
//   1. writers: pending events inserted through Store::Write, 1,000 per transaction (what many
//      concurrent state changes become under group commit) — for context, not a target;
//   2. sequencing: audit::AuditLog::SequenceNow over all of them (batches of 4,096: dense
//      indexes, tiles, a signed checkpoint and the pending rows deleted per transaction), in
//      events/s; target ≥ 20,000/s;
//   3. an inclusion proof in the resulting log (default 10^6 entries) built from stored tiles
//      only (tlog::TileHashSource over store reads): tile reads, hashes read and time per proof,
//      averaged over 1,000 random leaves, each proof verified against the signed checkpoint.
//      O(log n): at most two tiles per tile level.
//
// Usage: log_bench [events (1000000)] [directory (a fresh one under $TMPDIR)]
// The last line is machine-readable ("RESULT key=value ...") for bench/run.sh.
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "audit/audit_log.h"
#include "platform/clock.h"
#include "store/sqlite/sqlite_store.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"

namespace {

using namespace sealpost;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "log_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const long events = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  std::string dir = argc > 2 ? argv[2] : "";
  if (events < 1) return Fail("arguments", InvalidArgument("events must be ≥ 1"));
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/sealpost-log-bench." + std::to_string(::getpid());
  }
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/bench.db";
  std::filesystem::remove(db);

  auto store = store::sqlite::OpenSqliteStore(db);
  if (!store.ok()) return Fail("open", store.status());
  platform::SystemClock clock;
  audit::AuditLog log(crypto::SigningKey::Generate(), {"bench.example/sealpost-log", 4096}, clock);

  // 1. Writers.
  auto start = Clock::now();
  for (long done = 0; done < events;) {
    const long n = std::min<long>(1000, events - done);
    const Status s = (*store)->Write([&](store::WriteTxn& tx) -> Status {
      for (long i = 0; i < n; ++i) {
        SP_RETURN_IF_ERROR(
            log.Record(tx.log(), {clock.Now(), "message.send", "0123456789abcdef0123456789abcdef",
                                  "fedcba9876543210fedcba9876543210_" + std::to_string(done + i),
                                  R"({"recipients":2,"attachments":1,"bytes":4096})"}));
      }
      return Status::Ok();
    });
    if (!s.ok()) return Fail("record", s);
    done += n;
  }
  const double write_s = Seconds(start);

  // 2. Sequencing.
  start = Clock::now();
  if (Status s = log.SequenceNow(**store); !s.ok()) return Fail("sequence", s);
  const double sequence_s = Seconds(start);

  // 3. Inclusion proofs from stored tiles.
  auto latest = (*store)->log().GetLatestLogCheckpoint();
  if (!latest.ok() || !latest->has_value()) return Fail("checkpoint", latest.status());
  const tlog::NoteVerifier verifier{log.origin(), log.verify_key()};
  auto checkpoint = tlog::OpenCheckpoint((*latest)->note, std::span(&verifier, 1));
  if (!checkpoint.ok()) return Fail("checkpoint", checkpoint.status());
  const uint64_t size = checkpoint->size;
  std::mt19937_64 rng(42);
  constexpr int kProofs = 1000;
  uint64_t tile_reads = 0, hashes_read = 0, max_tile_reads = 0, proof_hashes = 0;
  start = Clock::now();
  for (int p = 0; p < kProofs; ++p) {
    const uint64_t index = rng() % size;
    uint64_t hashes = 0;
    tlog::TileHashSource tiles(size, [&](const tlog::TileId& t) -> Result<Bytes> {
      auto bytes = (*store)->log().GetLogTile(t.level, t.index, t.width);
      if (bytes.ok()) hashes += bytes->size() / 32;
      return bytes;
    });
    auto proof = tlog::InclusionProof(tiles, index, size);
    if (!proof.ok()) return Fail("proof", proof.status());
    auto leaf = (*store)->log().ReadLogEntries(index, 1);
    if (!leaf.ok() || leaf->empty()) return Fail("leaf", leaf.status());
    const Status verified = tlog::VerifyInclusion(tlog::LeafHash((*leaf)[0].leaf), index, size,
                                                  *proof, checkpoint->root_hash);
    if (!verified.ok()) return Fail("verify", verified);
    tile_reads += tiles.tile_reads();
    max_tile_reads = std::max(max_tile_reads, tiles.tile_reads());
    hashes_read += hashes;
    proof_hashes += proof->size();
  }
  const double proof_s = Seconds(start);
  std::filesystem::remove_all(dir);

  const double rate = static_cast<double>(events) / sequence_s;
  std::printf("writers: %ld pending events in %.2f s (%.0f/s, 1,000 per transaction)\n", events,
              write_s, static_cast<double>(events) / write_s);
  std::printf("sequencing: %ld events in %.2f s = %.0f events/s (target >= 20000: %s)\n", events,
              sequence_s, rate, rate >= 20000 ? "PASS" : "FAIL");
  std::printf(
      "inclusion proof in a log of %llu: %.1f tile reads (max %llu), %.0f hashes read, %.1f "
      "proof hashes, %.1f us per proof incl. its leaf read and verification\n",
      static_cast<unsigned long long>(size), static_cast<double>(tile_reads) / kProofs,
      static_cast<unsigned long long>(max_tile_reads), static_cast<double>(hashes_read) / kProofs,
      static_cast<double>(proof_hashes) / kProofs, proof_s * 1e6 / kProofs);
  std::printf(
      "RESULT events=%ld sequence_per_s=%.0f write_per_s=%.0f log_size=%llu tile_reads=%.2f "
      "max_tile_reads=%llu hashes_read=%.0f proof_us=%.1f\n",
      events, rate, static_cast<double>(events) / write_s, static_cast<unsigned long long>(size),
      static_cast<double>(tile_reads) / kProofs, static_cast<unsigned long long>(max_tile_reads),
      static_cast<double>(hashes_read) / kProofs, proof_s * 1e6 / kProofs);
  return 0;  // a missed target is reported (FAIL above), not an error, as in bench/run.sh
}
