// The transparency log as the public reads it (c2sp.org/tlog-tiles, docs/formats/tiles.md): the
// latest signed checkpoint, hash tiles and entry bundles of the tree that checkpoint signs, and
// the verifier key monitors configure. Read-only; anyone may call it (no session), which is the
// point: monitors check the operator with it.
//
// Only what the latest checkpoint covers is served: a tile or bundle is answered when the tree of
// that checkpoint has it at least as wide as asked (a narrower partial tile is a prefix of the
// stored one, as the spec's "partial tiles for tree sizes with a checkpoint" needs); anything
// beyond is NotFound, even if the sequencer already stored it for a checkpoint being written.
//
// SECURITY: the ids come from untrusted request paths (already canonical: tlog::ParseTilePath);
// the answers are public data. Leaves are re-checked against the served level-0 tile before a
// bundle is built, so a bundle never disagrees with the tree (Corruption otherwise). Thread-safe
// (each call reads the store on its own).
#pragma once

#include <cstdint>
#include <string>

#include "audit/audit_log.h"
#include "core/encoding.h"
#include "core/status.h"
#include "store/store.h"
#include "tlog/tiles.h"

namespace sealpost::app {

class PublicLog final {
 public:
  // `store` and `log` must outlive this object.
  PublicLog(store::Store& store, const audit::AuditLog& log) : store_(store), log_(log) {}

  // "<origin>+<key hash>+<base64(0x01 ‖ Ed25519 key)>" (c2sp.org/signed-note): the line a
  // monitor passes to `sealpost verify log --key`.
  std::string VerifierKey() const;

  // The latest signed checkpoint note; NotFound before the first one.
  Result<std::string> Checkpoint();
  // Hash tile `tile` (level, index, width as parsed from its path). NotFound beyond the tree of
  // the latest checkpoint or when the asked width does not exist in it.
  Result<Bytes> Tile(const tlog::TileId& tile);
  // The entry bundle of level-0 tile (tile.index, tile.width); same rules as Tile().
  Result<Bytes> EntryBundle(const tlog::TileId& tile);

 private:
  // OK if the latest checkpoint's tree holds tile (level, index) at least `width` wide.
  Status CheckInTree(const tlog::TileId& tile);

  store::Store& store_;
  const audit::AuditLog& log_;
};

}  // namespace sealpost::app
