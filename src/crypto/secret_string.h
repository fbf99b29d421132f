// SecretString: secret text (a MUC, a password, a session cookie, a recovery code, a PEM private
// key) in zeroizing memory, from the moment it is parsed to its use (docs/architecture.md,
// convention 3). A SecretBytes that reads as text.
//
// TakeFrom moves text that arrived in a std::string (from a parser, a file read) into guarded
// memory and wipes the string's whole buffer, so the copy that had to exist is gone at once.
// What it cannot reach: copies a library made and freed before handing the string over, which is
// why such buffers use crypto::WipingAllocator where the library allows it (request bodies, their
// parsed JSON) and why callers take secrets out of such values first.
//
// Thread-safety: a plain value, like SecretBytes. Move-only: a copy is spelled CopyOf.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

class SecretString final {
 public:
  SecretString() : bytes_(0) {}
  static SecretString CopyOf(std::string_view text) {
    return SecretString(SecretBytes::CopyOf(AsBytes(text)));
  }
  // Copies `text` into guarded memory, then wipes and clears `text`.
  static SecretString TakeFrom(std::string& text) {
    SecretString out = CopyOf(text);
    WipeString(text);
    return out;
  }
  static SecretString TakeFrom(std::string&& text) { return TakeFrom(text); }
  explicit SecretString(SecretBytes bytes) : bytes_(std::move(bytes)) {}

  SecretString(SecretString&&) noexcept = default;
  SecretString& operator=(SecretString&&) noexcept = default;

  // The text; the view dies with this object. Don't copy it into a std::string that outlives the
  // request.
  std::string_view view() const { return bytes_.AsStringView(); }
  const SecretBytes& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  SecretBytes bytes_;
};

// In constant time (sodium_memcmp over equal sizes).
inline bool ConstantTimeEquals(const SecretString& a, const SecretString& b) {
  return ConstantTimeEquals(a.bytes().view(), b.bytes().view());
}

}  // namespace sealpost::crypto
