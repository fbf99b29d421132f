// The check a log monitor makes each time it polls (`sealpost verify log`): the log's newest
// checkpoint is signed by the configured key, its served tiles hash to the root it signs, and the
// tree it signs extends the tree of the checkpoint the monitor saved last time (RFC 9162
// consistency proof, computed here from the served tiles and verified against both signed
// roots). A log that rewrote, truncated or forked its history after the saved checkpoint fails
// the last check even if it re-signed everything with its real key: the saved root pins the past.
//
// SECURITY: every input but the verifier keys is untrusted (fetched over the network, or read
// from a state file an attacker may have reached). Verdicts: kConsistent, or kInconsistent with a
// message naming what failed; an error Status means the check could not be made (malformed
// checkpoint or state, tiles that could not be fetched). Pure apart from the reader; not
// thread-safe (TileHashSource caches).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

namespace sealpost::tlog {

enum class MonitorVerdict { kConsistent, kInconsistent };

struct MonitorResult {
  MonitorVerdict verdict = MonitorVerdict::kInconsistent;
  std::optional<Checkpoint> saved;  // the saved checkpoint, when there was one
  Checkpoint latest;                // the fetched one (valid only if its signature verified)
  std::string problem;              // kInconsistent: what failed, for the operator's report
  uint64_t tile_reads = 0;          // tiles fetched
};

// `saved_note`: the signed checkpoint saved last time (nullopt on the first run: trust on first
// use). `latest_note`: the one just fetched. `read_tile` fetches tiles of the latest tree.
Result<MonitorResult> CheckLogUpdate(std::optional<std::string_view> saved_note,
                                     std::string_view latest_note,
                                     std::span<const NoteVerifier> verifiers,
                                     const TileReader& read_tile);

}  // namespace sealpost::tlog
