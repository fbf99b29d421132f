// aead_baseline: the same-run baseline for attachment upload and download throughput.
//
// What it measures: how fast one core of this machine encrypts with libsodium's
// XChaCha20-Poly1305, the cipher Sealpost's blob store uses for attachments:
//   * crypto_secretstream_xchacha20poly1305_push over 1 GiB in 64 KiB messages — the construction
//     and chunk size of blob files (blob::kChunkBytes). This is the "raw rate" bench/run.sh
//     divides upload and download throughput by: the server cannot stream an attachment faster
//     than one core can seal it.
//   * crypto_secretstream_xchacha20poly1305_pull over the same stream (what a download does), and
//     crypto_aead_xchacha20poly1305_ietf_encrypt per 64 KiB chunk, for comparison only.
// Single thread, data already in memory: no disk, no TLS, no hashing.
//
// MB means 10^6 bytes. The last line of output is machine-readable ("RESULT key=value ...").

#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double MegabytesPerSecond(uint64_t bytes, Clock::duration elapsed) {
  return static_cast<double>(bytes) / 1e6 / std::chrono::duration<double>(elapsed).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t total_bytes = uint64_t{1} << 30;
  size_t chunk_bytes = 64 * 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--bytes") {
      total_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--chunk") {
      chunk_bytes = std::strtoul(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: aead_baseline [--bytes 1073741824] [--chunk 65536]\n");
      return 1;
    }
  }
  if (argc % 2 == 0 || total_bytes == 0 || chunk_bytes == 0) {
    std::fprintf(stderr, "usage: aead_baseline [--bytes 1073741824] [--chunk 65536]\n");
    return 1;
  }
  if (sodium_init() < 0) return 1;
  const uint64_t chunks = (total_bytes + chunk_bytes - 1) / chunk_bytes;

  std::vector<uint8_t> plaintext(chunk_bytes);
  randombytes_buf(plaintext.data(), plaintext.size());
  std::vector<uint8_t> ciphertext(chunk_bytes + crypto_secretstream_xchacha20poly1305_ABYTES);
  std::vector<uint8_t> decrypted(chunk_bytes);
  uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  crypto_secretstream_xchacha20poly1305_keygen(key);

  // 1. secretstream push: the raw rate. The same 64 KiB plaintext buffer is encrypted each time
  // (it stays in cache, as a received network buffer would); the output is consumed by folding
  // one byte into a checksum so the compiler cannot drop the work.
  crypto_secretstream_xchacha20poly1305_state push_state;
  uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&push_state, header, key);
  uint8_t sink = 0;
  const Clock::time_point push_start = Clock::now();
  for (uint64_t i = 0; i < chunks; ++i) {
    const uint8_t tag = i + 1 == chunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                        : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    unsigned long long out_len = 0;
    crypto_secretstream_xchacha20poly1305_push(&push_state, ciphertext.data(), &out_len,
                                               plaintext.data(), chunk_bytes, nullptr, 0, tag);
    sink ^= ciphertext[i % out_len];
  }
  const Clock::duration push_elapsed = Clock::now() - push_start;

  // 2. secretstream pull over a stream of the same size. Each chunk must be authentic, so the
  // stream is produced in step by a second push state (untimed) and pulled (timed).
  crypto_secretstream_xchacha20poly1305_state producer;
  crypto_secretstream_xchacha20poly1305_state pull_state;
  crypto_secretstream_xchacha20poly1305_init_push(&producer, header, key);
  if (crypto_secretstream_xchacha20poly1305_init_pull(&pull_state, header, key) != 0) return 1;
  Clock::duration pull_elapsed{};
  for (uint64_t i = 0; i < chunks; ++i) {
    const uint8_t tag = i + 1 == chunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                        : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    unsigned long long out_len = 0;
    crypto_secretstream_xchacha20poly1305_push(&producer, ciphertext.data(), &out_len,
                                               plaintext.data(), chunk_bytes, nullptr, 0, tag);
    const Clock::time_point start = Clock::now();
    unsigned long long plain_len = 0;
    uint8_t got_tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&pull_state, decrypted.data(), &plain_len,
                                                   &got_tag, ciphertext.data(), out_len, nullptr,
                                                   0) != 0) {
      std::fprintf(stderr, "secretstream pull failed at chunk %llu\n",
                   static_cast<unsigned long long>(i));
      return 1;
    }
    pull_elapsed += Clock::now() - start;
    sink ^= decrypted[i % plain_len];
  }

  // 3. One-shot AEAD per chunk, each with a fresh random 24-byte nonce (as a caller of
  // crypto::Aead would get), for comparison with the streaming construction.
  std::vector<uint8_t> aead_out(chunk_bytes + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  uint8_t aead_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(aead_key);
  uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  const Clock::time_point aead_start = Clock::now();
  for (uint64_t i = 0; i < chunks; ++i) {
    randombytes_buf(nonce, sizeof nonce);
    unsigned long long out_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(aead_out.data(), &out_len, plaintext.data(),
                                               chunk_bytes, nullptr, 0, nullptr, nonce, aead_key);
    sink ^= aead_out[i % out_len];
  }
  const Clock::duration aead_elapsed = Clock::now() - aead_start;
  sodium_memzero(key, sizeof key);
  sodium_memzero(aead_key, sizeof aead_key);

  const uint64_t bytes = chunks * chunk_bytes;
  const double push = MegabytesPerSecond(bytes, push_elapsed);
  const double pull = MegabytesPerSecond(bytes, pull_elapsed);
  const double aead = MegabytesPerSecond(bytes, aead_elapsed);
  std::printf("aead_baseline: %.0f MiB in %zu KiB chunks, one thread (checksum %02x)\n",
              static_cast<double>(bytes) / (1 << 20), chunk_bytes / 1024, sink);
  std::printf("  secretstream_xchacha20poly1305 push:   %8.1f MB/s  (raw rate)\n", push);
  std::printf("  secretstream_xchacha20poly1305 pull:   %8.1f MB/s\n", pull);
  std::printf("  aead_xchacha20poly1305_ietf_encrypt:   %8.1f MB/s\n", aead);
  std::printf("RESULT push_mb_s=%.1f pull_mb_s=%.1f ietf_encrypt_mb_s=%.1f\n", push, pull, aead);
  return 0;
}
