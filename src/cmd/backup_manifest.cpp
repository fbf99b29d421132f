#include "cmd/backup_manifest.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/encoding.h"

namespace sealpost::cmd {

bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.size() > 512) return false;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part.front() == '.') return false;  // also rules out "." and ".."
    const bool ok = std::all_of(part.begin(), part.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '-' || c == '_';
    });
    if (!ok) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string FormatManifest(const Manifest& manifest) {
  std::string out;
  for (const auto& [path, digest] : manifest) {
    out += fmt::format("{}  {}\n", HexEncode(digest), path);
  }
  return out;
}

Result<Manifest> ParseManifest(std::string_view text) {
  if (text.size() > kMaxManifestBytes) return InvalidArgument("manifest too large");
  if (text.empty()) return InvalidArgument("manifest is empty");
  if (text.back() != '\n') return InvalidArgument("manifest does not end with a newline");
  Manifest manifest;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    const auto bad = [&](std::string_view why) {
      return InvalidArgument(fmt::format("manifest line {}: {}", line_number, why));
    };
    if (line.size() < 67 || line.substr(64, 2) != "  ") return bad("not `<sha256>  <path>`");
    const std::string_view hex = line.substr(0, 64);
    if (!std::all_of(hex.begin(), hex.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
      return bad("the digest is not 64 lower-case hex digits");
    }
    const std::string path(line.substr(66));
    if (!IsSafeRelativePath(path)) return bad("unsafe path");
    if (path == kManifestName) return bad("the manifest cannot list itself");
    auto raw = HexDecode(hex);
    if (!raw.ok() || raw->size() != 32) return bad("bad digest");
    crypto::Digest256 digest;
    std::copy(raw->begin(), raw->end(), digest.begin());
    if (!manifest.emplace(path, digest).second) return bad("path listed twice");
  }
  return manifest;
}

}  // namespace sealpost::cmd
