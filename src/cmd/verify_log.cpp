#include "cmd/verify_log.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "core/encoding.h"
#include "http/https_client.h"
#include "platform/filesystem.h"
#include "tlog/monitor.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

namespace sealpost::cmd {
namespace {

constexpr size_t kMaxKeyFileBytes = 4096;
// A full tile is 8 KiB; a checkpoint far smaller than a note's 1 MiB limit.
constexpr size_t kMaxResponseBytes = tlog::kMaxNoteBytes;

int CannotCheck(const std::string& what) {
  std::cerr << "sealpost verify log: cannot check: " << what << "\n";
  return 2;
}

std::string TrimLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Result<std::string> Fetch(http::HttpsClient& client, const std::string& url) {
  SP_ASSIGN_OR_RETURN(http::HttpsResponse response, client.Get(url));
  if (response.status == 404) return NotFound(fmt::format("{}: 404 not found", url));
  if (response.status != 200) {
    return Unavailable(fmt::format("{}: HTTP status {}", url, response.status));
  }
  return std::move(response.body);
}

}  // namespace

int VerifyLog(const VerifyLogOptions& options) {
  auto& fs = platform::DefaultFilesystem();
  std::string key_line;
  if (options.key.has_value() == options.key_file.has_value()) {
    return CannotCheck("give the log's verifier key with exactly one of --key and --key-file");
  }
  if (options.key) {
    key_line = *options.key;
  } else {
    auto text = platform::ReadSmallFile(fs, *options.key_file, kMaxKeyFileBytes);
    if (!text.ok()) return CannotCheck("key file: " + text.status().message());
    key_line = TrimLine(*text);
  }
  auto verifier = tlog::ParseVerifierKey(key_line);
  if (!verifier.ok()) return CannotCheck("verifier key: " + verifier.status().message());
  const std::vector<tlog::NoteVerifier> verifiers = {*verifier};

  std::string base = options.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto client = http::HttpsClient::Create({options.ca_file.value_or(""),
                                           std::chrono::seconds(options.timeout_seconds),
                                           kMaxResponseBytes, "sealpost-verify-log"});
  if (!client.ok()) return CannotCheck(client.status().message());

  std::optional<std::string> saved;
  if (fs.Exists(options.state_file)) {
    auto text = platform::ReadSmallFile(fs, options.state_file, tlog::kMaxNoteBytes);
    if (!text.ok()) return CannotCheck("state file: " + text.status().message());
    saved = std::move(*text);
  }

  auto latest = Fetch(**client, base + "/checkpoint");
  if (!latest.ok()) return CannotCheck("fetching the checkpoint: " + latest.status().message());
  const tlog::TileReader read_tile = [&](const tlog::TileId& tile) -> Result<Bytes> {
    SP_ASSIGN_OR_RETURN(std::string body, Fetch(**client, base + "/" + tlog::TilePath(tile)));
    return Bytes(body.begin(), body.end());
  };
  std::optional<std::string_view> saved_view;
  if (saved) saved_view = *saved;
  auto result = tlog::CheckLogUpdate(saved_view, *latest, verifiers, read_tile);
  if (!result.ok()) return CannotCheck(result.status().message());
  if (result->verdict != tlog::MonitorVerdict::kConsistent) {
    std::cout << "INCONSISTENT: " << result->problem << "\n";
    std::cout << fmt::format("The state file {} is kept unchanged; keep it as evidence.\n",
                             options.state_file);
    return 1;
  }
  if (Status s = platform::WriteFileAtomically(fs, options.state_file, AsBytes(*latest)); !s.ok()) {
    return CannotCheck("saving the state file: " + s.message());
  }
  const tlog::Checkpoint& now = result->latest;
  if (!result->saved) {
    std::cout << fmt::format(
        "OK: first checkpoint of {} saved: size {}, root {} (trusted on first use; "
        "tiles fetched: {})\n",
        now.origin, now.size, Base64Encode(now.root_hash), result->tile_reads);
  } else {
    std::cout << fmt::format(
        "OK: {} size {} (root {}) is consistent with the saved size {}; saved the new checkpoint "
        "(tiles fetched: {})\n",
        now.origin, now.size, Base64Encode(now.root_hash), result->saved->size, result->tile_reads);
  }
  return 0;
}

}  // namespace sealpost::cmd
