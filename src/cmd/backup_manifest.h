// The manifest of a backup directory (`sealpost admin backup`, docs/operations.md): one line per
// file, `<sha256 in hex>  <path relative to the backup directory>`, sorted by path. That is the
// format of `sha256sum`, so `cd BACKUP && sha256sum -c sealpost-backup.sha256` checks a backup
// with no Sealpost at hand.
//
// The manifest finds damage (a truncated copy, a flipped bit, a missing or added file); it is
// not signed, so whoever can rewrite the backup can rewrite it too: keep backups where only the
// operator writes. Pure functions; thread-safe.
//
// SECURITY: ParseManifest reads a file from a backup, which may be damaged or altered: every
// line must be exactly the format above with a path that stays inside the backup directory
// (relative, no `..`, no empty or hidden components, a limited alphabet); anything else is
// InvalidArgument naming the line.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/hash.h"

namespace sealpost::cmd {

inline constexpr std::string_view kManifestName = "sealpost-backup.sha256";
inline constexpr size_t kMaxManifestBytes = 64 << 20;

// Path → SHA-256, ordered by path.
using Manifest = std::map<std::string, crypto::Digest256>;

std::string FormatManifest(const Manifest& manifest);
Result<Manifest> ParseManifest(std::string_view text);

// Whether `path` may appear in a manifest (see SECURITY above).
bool IsSafeRelativePath(std::string_view path);

}  // namespace sealpost::cmd
