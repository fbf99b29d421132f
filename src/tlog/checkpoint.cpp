#include "tlog/checkpoint.h"

#include <algorithm>
#include <charconv>

#include "core/encoding.h"
#include "core/text.h"

namespace sealpost::tlog {
namespace {

// Up to 20 digits fit a uint64_t; more is refused before from_chars sees it.
constexpr size_t kMaxSizeDigits = 20;

bool IsValidLine(std::string_view line) {
  if (line.empty() || !IsValidUtf8(line)) return false;
  return std::none_of(line.begin(), line.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
  });
}

Result<uint64_t> ParseTreeSize(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxSizeDigits ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument("checkpoint tree size is not a decimal number");
  }
  if (digits.size() > 1 && digits[0] == '0') {
    return InvalidArgument("checkpoint tree size has a leading zero");
  }
  uint64_t size = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return InvalidArgument("checkpoint tree size does not fit 64 bits");
  }
  return size;
}

}  // namespace

Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  if (!IsValidLine(checkpoint.origin)) return InvalidArgument("invalid checkpoint origin");
  if (checkpoint.extensions.size() > kMaxCheckpointExtensions) {
    return InvalidArgument("checkpoint has more than 100 extension lines");
  }
  std::string text = checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
                     Base64Encode(checkpoint.root_hash) + "\n";
  for (const std::string& line : checkpoint.extensions) {
    if (!IsValidLine(line)) return InvalidArgument("invalid checkpoint extension line");
    text += line;
    text += '\n';
  }
  return text;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.size() > kMaxNoteBytes) return InvalidArgument("checkpoint is larger than 1 MiB");
  if (text.empty() || text.back() != '\n') {
    return InvalidArgument("checkpoint does not end with a newline");
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = text.substr(0, text.size() - 1);;) {
    if (lines.size() == 3 + kMaxCheckpointExtensions) {
      return InvalidArgument("checkpoint has more than 100 extension lines");
    }
    const size_t end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  if (lines.size() < 3) return InvalidArgument("checkpoint has fewer than three lines");
  for (std::string_view line : lines) {
    if (!IsValidLine(line)) {
      return InvalidArgument("checkpoint has an empty line or a control character");
    }
  }
  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  SP_ASSIGN_OR_RETURN(checkpoint.size, ParseTreeSize(lines[1]));
  auto root = Base64Decode(lines[2]);
  // Re-encoding must give the same line: one root hash has exactly one spelling.
  if (!root.ok() || root->size() != checkpoint.root_hash.size() ||
      Base64Encode(*root) != lines[2]) {
    return InvalidArgument("checkpoint root hash is not 32 bytes of canonical base64");
  }
  std::copy(root->begin(), root->end(), checkpoint.root_hash.begin());
  for (size_t i = 3; i < lines.size(); ++i) checkpoint.extensions.emplace_back(lines[i]);
  return checkpoint;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, std::string_view key_name,
                                   const crypto::SigningKey& key) {
  SP_ASSIGN_OR_RETURN(std::string text, FormatCheckpoint(checkpoint));
  return SignNote(text, key_name, key);
}

Result<Checkpoint> OpenCheckpoint(std::string_view signed_note,
                                  std::span<const NoteVerifier> verifiers) {
  SP_ASSIGN_OR_RETURN(std::string text, OpenNote(signed_note, verifiers));
  return ParseCheckpoint(text);
}

}  // namespace sealpost::tlog
