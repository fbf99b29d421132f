// `sealpost escrow keygen | export | open` (app/escrow.h, app/escrow_export.h; docs/escrow.md).
//
// keygen and open run offline at the organisation: they touch no server and need no
// configuration. export runs on the server and reads the store directly, holding the data
// directory's lock shared (like `admin backup`: beside a running server, never during a
// master-key rotation); it needs no secret, since what it writes is sealed.
#pragma once

#include <optional>
#include <string>

#include "cmd/config.h"

namespace sealpost::cmd {

// Writes a new X25519 private key to `out` (created with mode 0600, never overwritten) and prints
// the public key, to give to the server (PUT /api/v1/admin/escrow/{domain}). Exit 0, or 2.
int EscrowKeygen(const std::string& out);

struct EscrowExportArgs {
  std::string domain;
  std::optional<std::string> from;  // RFC 3339 UTC or Unix ms
  std::optional<std::string> to;
  std::optional<std::string> member;  // a member's address
  std::string out;                    // absent or empty directory
};
// Exit 0, or 2 (nothing counts as an export without its manifest.json).
int EscrowExport(const Config& config, const EscrowExportArgs& args);

// Exit 0 when every message opened, 1 when some did not (listed on stderr), 2 when nothing could
// be tried (bad key file, no export).
int EscrowOpen(const std::string& key_file, const std::string& in, const std::string& out);

}  // namespace sealpost::cmd
