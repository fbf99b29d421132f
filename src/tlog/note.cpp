#include "tlog/note.h"

#include <cstdio>

#include "core/text.h"
#include "crypto/hash.h"

namespace sealpost::tlog {
namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr uint8_t kEd25519Type = 0x01;

bool IsValidText(std::string_view text) {
  if (text.empty() || text.back() != '\n' || !IsValidUtf8(text)) return false;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\n') || b == 0x7F) return false;
  }
  return true;
}

// Names of others' keys only need to be parseable: no space, no '+', no control character.
bool IsParseableName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7F || c == '+') return false;
  }
  return true;
}

Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.starts_with(kSignaturePrefix)) {
    return InvalidArgument("note signature line does not start with an em dash and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return InvalidArgument("note signature line has no space between name and signature");
  }
  NoteSignature sig;
  sig.name = std::string(line.substr(0, space));
  if (!IsParseableName(sig.name)) return InvalidArgument("note signature has an invalid name");
  auto decoded = Base64Decode(line.substr(space + 1));
  if (!decoded.ok()) return InvalidArgument("note signature is not valid base64");
  if (decoded->size() < 5) return InvalidArgument("note signature is too short");
  const Bytes& raw = *decoded;
  sig.key_hash = (uint32_t{raw[0]} << 24) | (uint32_t{raw[1]} << 16) | (uint32_t{raw[2]} << 8) |
                 uint32_t{raw[3]};
  sig.signature.assign(raw.begin() + 4, raw.end());
  return sig;
}

}  // namespace

uint32_t NoteVerifier::key_hash() const { return Ed25519KeyHash(name, key); }

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F || c == '+') return false;
  }
  return true;
}

uint32_t Ed25519KeyHash(std::string_view name, const crypto::VerifyKey& key) {
  crypto::Sha256Hasher hasher;
  hasher.Update(AsBytes(name));
  const uint8_t separator[2] = {'\n', kEd25519Type};
  hasher.Update(separator);
  hasher.Update(key.bytes());
  const crypto::Digest256 digest = hasher.Finish();
  return (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) | (uint32_t{digest[2]} << 8) |
         uint32_t{digest[3]};
}

std::string FormatVerifierKey(const NoteVerifier& verifier) {
  char hash[9];
  std::snprintf(hash, sizeof(hash), "%08x", verifier.key_hash());
  Bytes typed = {kEd25519Type};
  typed.insert(typed.end(), verifier.key.bytes().begin(), verifier.key.bytes().end());
  return verifier.name + "+" + hash + "+" + Base64Encode(typed);
}

Result<NoteVerifier> ParseVerifierKey(std::string_view vkey) {
  // The base64 may itself hold '+', so split at the first two only.
  const size_t first = vkey.find('+');
  const size_t second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) {
    return InvalidArgument("verifier key is not name+hash+key");
  }
  const std::string_view name = vkey.substr(0, first);
  const std::string_view hash_hex = vkey.substr(first + 1, second - first - 1);
  if (!IsValidKeyName(name)) return InvalidArgument("verifier key has an invalid name");
  auto hash = HexDecode(hash_hex);
  if (hash_hex.size() != 8 || !hash.ok()) {
    return InvalidArgument("verifier key hash is not 8 hex digits");
  }
  auto typed = Base64Decode(vkey.substr(second + 1));
  if (!typed.ok() || typed->size() != 1 + crypto::kVerifyKeyBytes || (*typed)[0] != kEd25519Type) {
    return InvalidArgument("verifier key is not an Ed25519 key");
  }
  SP_ASSIGN_OR_RETURN(crypto::VerifyKey key,
                      crypto::VerifyKey::FromBytes(ByteView(*typed).subspan(1)));
  NoteVerifier verifier{std::string(name), key};
  const uint32_t want = (uint32_t{(*hash)[0]} << 24) | (uint32_t{(*hash)[1]} << 16) |
                        (uint32_t{(*hash)[2]} << 8) | uint32_t{(*hash)[3]};
  if (verifier.key_hash() != want) return InvalidArgument("verifier key hash does not match");
  return verifier;
}

Result<Note> ParseNote(std::string_view message) {
  if (message.size() > kMaxNoteBytes) return InvalidArgument("note is larger than 1 MiB");
  // The text ends at the last blank line: signature lines are never empty.
  const size_t split = message.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgument("note has no blank line before its signatures");
  }
  Note note;
  note.text = std::string(message.substr(0, split + 1));
  if (!IsValidText(note.text)) {
    return InvalidArgument("note text is not UTF-8 without control characters");
  }
  std::string_view block = message.substr(split + 2);
  if (block.empty()) return InvalidArgument("note has no signatures");
  if (block.back() != '\n') return InvalidArgument("note does not end with a newline");
  if (!IsValidUtf8(block)) return InvalidArgument("note signatures are not UTF-8");
  while (!block.empty()) {
    if (note.signatures.size() == kMaxNoteSignatures) {
      return InvalidArgument("note has more than 100 signatures");
    }
    const size_t end = block.find('\n');
    SP_ASSIGN_OR_RETURN(NoteSignature sig, ParseSignatureLine(block.substr(0, end)));
    note.signatures.push_back(std::move(sig));
    block.remove_prefix(end + 1);
  }
  return note;
}

Result<std::string> SignNote(std::string_view text, std::string_view name,
                             const crypto::SigningKey& key) {
  if (text.size() > kMaxNoteBytes / 2 || !IsValidText(text)) {
    return InvalidArgument("note text must be UTF-8 without control characters, end in a newline");
  }
  if (text.find("\n\n") != std::string_view::npos) {
    // Not forbidden by the spec, but a blank line would make our own parser split it there.
    return InvalidArgument("note text must not contain a blank line");
  }
  if (!IsValidKeyName(name)) return InvalidArgument("invalid note key name");
  const uint32_t hash = Ed25519KeyHash(name, key.verify_key());
  Bytes blob = {static_cast<uint8_t>(hash >> 24), static_cast<uint8_t>(hash >> 16),
                static_cast<uint8_t>(hash >> 8), static_cast<uint8_t>(hash)};
  const Bytes signature = key.Sign(AsBytes(text));
  blob.insert(blob.end(), signature.begin(), signature.end());
  std::string out(text);
  out += "\n";
  out += kSignaturePrefix;
  out += name;
  out += ' ';
  out += Base64Encode(blob);
  out += '\n';
  return out;
}

Result<std::string> OpenNote(std::string_view message, std::span<const NoteVerifier> verifiers) {
  SP_ASSIGN_OR_RETURN(Note note, ParseNote(message));
  bool verified = false;
  for (const NoteSignature& sig : note.signatures) {
    for (const NoteVerifier& verifier : verifiers) {
      if (sig.name != verifier.name || sig.key_hash != verifier.key_hash()) continue;
      if (!crypto::Verify(verifier.key, AsBytes(note.text), sig.signature).ok()) {
        return Unauthenticated("note signature by " + sig.name + " does not verify");
      }
      verified = true;
    }
  }
  if (!verified) return Unauthenticated("note has no signature by a known key");
  return std::move(note.text);
}

}  // namespace sealpost::tlog
