// `sealpost verify log`: the transparency log monitor (tlog/monitor.h) over HTTPS. Fetches the
// log's checkpoint from <url>/checkpoint, checks its signature with the configured verifier key,
// its consistency with the checkpoint saved in the state file by the previous run (from tiles
// fetched from <url>/tile/…), then saves the new checkpoint there (atomically). The first run, with
// no state file, trusts the checkpoint it sees (trust on first use) and saves it.
#pragma once

#include <optional>
#include <string>

namespace sealpost::cmd {

struct VerifyLogOptions {
  std::string url;                      // the log's prefix, e.g. https://mail.example.org/log/v1
  std::string state_file;               // the saved checkpoint
  std::optional<std::string> key;       // "<name>+<hash>+<base64 key>"
  std::optional<std::string> key_file;  // a file holding that line
  std::optional<std::string> ca_file;   // CA certificates to trust instead of the system's
  int timeout_seconds = 30;
};

// Exit codes: 0 consistent (state saved), 1 inconsistent or tampered (what failed is printed;
// the state is left as it was), 2 could not check (network, malformed answer or arguments).
int VerifyLog(const VerifyLogOptions& options);

}  // namespace sealpost::cmd
