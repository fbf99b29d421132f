#include "crypto/stream_aead.h"

#include <sodium.h>

#include "crypto/internal/check.h"

namespace sealpost::crypto {

using State = crypto_secretstream_xchacha20poly1305_state;

static_assert(kStreamHeaderBytes == crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(kStreamChunkOverhead == crypto_secretstream_xchacha20poly1305_ABYTES);
static_assert(kAeadKeyBytes == crypto_secretstream_xchacha20poly1305_KEYBYTES);
// The state lives in a SecretBytes buffer, whose start sodium_malloc does not align.
static_assert(alignof(State) == 1);

namespace {

State* StateOf(SecretBytes& buffer) {
  if (buffer.size() != sizeof(State)) internal::Die("stream state used after move");
  return reinterpret_cast<State*>(buffer.data());
}

Status DecryptionFailed() { return Unauthenticated("decryption failed"); }

void Wipe(Bytes& out) {
  if (!out.empty()) sodium_memzero(out.data(), out.size());
  out.clear();
}

}  // namespace

StreamEncryptor StreamEncryptor::Create(const AeadKey& key, Bytes& header_out) {
  EnsureInitialized();
  if (key.ExposeSecret().size() != kAeadKeyBytes) internal::Die("AEAD key used after move");
  SecretBytes state(sizeof(State));
  header_out.resize(kStreamHeaderBytes);
  if (crypto_secretstream_xchacha20poly1305_init_push(StateOf(state), header_out.data(),
                                                      key.ExposeSecret().data()) != 0) {
    internal::Die("crypto_secretstream_xchacha20poly1305_init_push failed");
  }
  return StreamEncryptor(std::move(state));
}

void StreamEncryptor::Push(ByteView plaintext_chunk, ByteView associated_data, bool final,
                           Bytes& out) {
  if (finished_) internal::Die("StreamEncryptor::Push after the final chunk");
  if (plaintext_chunk.size() > crypto_secretstream_xchacha20poly1305_MESSAGEBYTES_MAX) {
    internal::Die("StreamEncryptor::Push: chunk too large");
  }
  out.resize(plaintext_chunk.size() + kStreamChunkOverhead);
  const unsigned char tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                  : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  unsigned long long out_len = 0;
  if (crypto_secretstream_xchacha20poly1305_push(
          StateOf(state_), out.data(), &out_len, plaintext_chunk.data(), plaintext_chunk.size(),
          associated_data.data(), associated_data.size(), tag) != 0 ||
      out_len != out.size()) {
    internal::Die("crypto_secretstream_xchacha20poly1305_push failed");
  }
  finished_ = final;
}

Result<StreamDecryptor> StreamDecryptor::Create(const AeadKey& key, ByteView header) {
  EnsureInitialized();
  if (header.size() != kStreamHeaderBytes) return DecryptionFailed();
  if (key.ExposeSecret().size() != kAeadKeyBytes) return DecryptionFailed();
  SecretBytes state(sizeof(State));
  if (crypto_secretstream_xchacha20poly1305_init_pull(StateOf(state), header.data(),
                                                      key.ExposeSecret().data()) != 0) {
    return DecryptionFailed();
  }
  return StreamDecryptor(std::move(state));
}

Result<bool> StreamDecryptor::Pull(ByteView ciphertext_chunk, ByteView associated_data,
                                   Bytes& out) {
  if (failed_ || finished_ || ciphertext_chunk.size() < kStreamChunkOverhead) {
    failed_ = true;
    Wipe(out);
    return DecryptionFailed();
  }
  out.resize(ciphertext_chunk.size() - kStreamChunkOverhead);
  uint8_t empty_sink = 0;  // libsodium wants a valid pointer even for 0 bytes of output.
  unsigned char tag = 0;
  unsigned long long out_len = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
          StateOf(state_), out.empty() ? &empty_sink : out.data(), &out_len, &tag,
          ciphertext_chunk.data(), ciphertext_chunk.size(), associated_data.data(),
          associated_data.size()) != 0 ||
      out_len != out.size() ||
      // Our encryptor only writes MESSAGE and FINAL; anything else is not a stream we made.
      (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE &&
       tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)) {
    failed_ = true;
    Wipe(out);
    return DecryptionFailed();
  }
  finished_ = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  return finished_;
}

}  // namespace sealpost::crypto
