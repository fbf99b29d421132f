#include "tlog/monitor.h"

#include <vector>

#include <fmt/format.h>

#include "core/encoding.h"
#include "tlog/merkle.h"

namespace sealpost::tlog {
namespace {

std::string Describe(const Checkpoint& c) {
  return fmt::format("size {}, root {}", c.size, Base64Encode(c.root_hash));
}

}  // namespace

Result<MonitorResult> CheckLogUpdate(std::optional<std::string_view> saved_note,
                                     std::string_view latest_note,
                                     std::span<const NoteVerifier> verifiers,
                                     const TileReader& read_tile) {
  MonitorResult result;
  const auto inconsistent = [&result](std::string problem) {
    result.verdict = MonitorVerdict::kInconsistent;
    result.problem = std::move(problem);
    return result;
  };
  if (saved_note) {
    // The state was verified before it was saved; if it no longer opens, the state file or the
    // configured key changed, and nothing can be compared.
    auto saved = OpenCheckpoint(*saved_note, verifiers);
    if (!saved.ok()) {
      return InvalidArgument("the saved checkpoint does not open with the configured key: " +
                             saved.status().message());
    }
    result.saved = *std::move(saved);
  }

  auto latest = OpenCheckpoint(latest_note, verifiers);
  if (!latest.ok()) {
    if (latest.status().code() == ErrorCode::kUnauthenticated) {
      return inconsistent(
          "bad signature: the log's checkpoint is not validly signed by the "
          "configured key (" +
          latest.status().message() + ")");
    }
    return InvalidArgument("the log's checkpoint is malformed: " + latest.status().message());
  }
  result.latest = *std::move(latest);
  const Checkpoint& now = result.latest;

  if (result.saved && result.saved->origin != now.origin) {
    return inconsistent(
        fmt::format("origin changed from \"{}\" to \"{}\"", result.saved->origin, now.origin));
  }
  if (result.saved && now.size < result.saved->size) {
    return inconsistent(
        fmt::format("size went backwards: the saved checkpoint has {} entries, "
                    "the log now signs {} (history was truncated)",
                    result.saved->size, now.size));
  }

  TileHashSource source(now.size, read_tile);
  if (now.size > 0) {
    // The served tree must be the one the checkpoint signs, or a proof from it means nothing.
    auto root = source.SubtreeRoot(0, now.size);
    if (!root.ok()) {
      return Unavailable("cannot read the log's tiles: " + root.status().message());
    }
    if (*root != now.root_hash) {
      result.tile_reads = source.tile_reads();
      return inconsistent(
          fmt::format("the served tiles do not hash to the signed root ({}; tiles give {})",
                      Describe(now), Base64Encode(*root)));
    }
  }
  if (result.saved && result.saved->size > 0) {
    const Checkpoint& old = *result.saved;
    if (old.size == now.size) {
      if (old.root_hash != now.root_hash) {
        result.tile_reads = source.tile_reads();
        return inconsistent(fmt::format(
            "old root not a prefix: same size {} but a different root (saved {}, now {}): the log "
            "forked or rewrote history",
            now.size, Base64Encode(old.root_hash), Base64Encode(now.root_hash)));
      }
    } else {
      auto proof = ConsistencyProof(source, old.size, now.size);
      if (!proof.ok()) {
        return Unavailable("cannot build the consistency proof from the log's tiles: " +
                           proof.status().message());
      }
      const Status verified =
          VerifyConsistency(old.size, now.size, *proof, old.root_hash, now.root_hash);
      if (!verified.ok()) {
        result.tile_reads = source.tile_reads();
        return inconsistent(fmt::format(
            "old root not a prefix: the saved tree ({}) is not a prefix of the log's tree ({}): "
            "history before entry {} was rewritten",
            Describe(old), Describe(now), old.size));
      }
    }
  }
  result.tile_reads = source.tile_reads();
  result.verdict = MonitorVerdict::kConsistent;
  return result;
}

}  // namespace sealpost::tlog
