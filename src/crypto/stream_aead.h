// Chunked authenticated encryption for large bodies and attachments (libsodium
// crypto_secretstream_xchacha20poly1305), so they stream in constant memory.
//
// Wire form: a kStreamHeaderBytes (24) header, then one ciphertext per plaintext chunk, each
// exactly kStreamChunkOverhead (17) bytes longer than its plaintext. Chunk boundaries are not
// encoded: the caller's container format must record each chunk's length. The last chunk carries a
// "final" mark; chunks are bound to their position, so dropping, reordering, duplicating or
// appending chunks is detected — except dropping chunks at the end, which the caller must detect by
// checking that the last chunk it pulled reported is_final == true (or StreamDecryptor::
// is_finished()) before trusting the plaintext as complete.
//
// SECURITY: StreamDecryptor::Pull takes untrusted bytes. Every failure (modified header or chunk,
// wrong key, wrong associated data, reordering, a chunk after the final one) returns
// Unauthenticated("decryption failed"), wipes and clears `out`, and poisons the decryptor: every
// later Pull fails too.
//
// Secrets: both objects hold the derived stream key in sodium_malloc'ed memory, wiped on
// destruction. Thread-safety: neither object is thread-safe (each Push/Pull advances the state);
// both are movable, not copyable. A moved-from object must not be used.
#pragma once

#include <cstddef>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/secret_bytes.h"

namespace sealpost::crypto {

inline constexpr size_t kStreamHeaderBytes = 24;
inline constexpr size_t kStreamChunkOverhead = 17;

class StreamEncryptor final {
 public:
  // Starts a stream under `key` with a random header, written to `header_out` (resized to 24).
  static StreamEncryptor Create(const AeadKey& key, Bytes& header_out);

  StreamEncryptor(StreamEncryptor&&) noexcept = default;
  StreamEncryptor& operator=(StreamEncryptor&&) noexcept = default;

  // Encrypts one chunk into `out` (resized to plaintext_chunk.size() + 17). Set `final` on the last
  // chunk (which may be empty). Pushing after the final chunk is a programming error and aborts:
  // no decryptor would accept such a chunk.
  void Push(ByteView plaintext_chunk, ByteView associated_data, bool final, Bytes& out);

 private:
  explicit StreamEncryptor(SecretBytes state) : state_(std::move(state)) {}
  SecretBytes state_;
  bool finished_ = false;
};

class StreamDecryptor final {
 public:
  // Unauthenticated("decryption failed") if `header` is not 24 bytes. A modified header is caught
  // by the first Pull.
  static Result<StreamDecryptor> Create(const AeadKey& key, ByteView header);

  StreamDecryptor(StreamDecryptor&&) noexcept = default;
  StreamDecryptor& operator=(StreamDecryptor&&) noexcept = default;

  // Decrypts one chunk into `out` (resized to ciphertext_chunk.size() - 17) and returns whether it
  // was the final chunk. See SECURITY above for failures.
  Result<bool> Pull(ByteView ciphertext_chunk, ByteView associated_data, Bytes& out);

  // True once the final chunk has been pulled successfully and nothing failed since (not even a
  // chunk offered after the final one): the stream is complete.
  bool is_finished() const { return finished_ && !failed_; }

 private:
  explicit StreamDecryptor(SecretBytes state) : state_(std::move(state)) {}
  SecretBytes state_;
  bool finished_ = false;
  bool failed_ = false;
};

}  // namespace sealpost::crypto
