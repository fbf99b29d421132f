// SHA-256 on a second thread, so an attachment is hashed while the calling thread encrypts
// (upload) or decrypts (download) it: the two are the costliest steps per byte and ran one after
// the other before. Internal to app/.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/encoding.h"
#include "crypto/hash.h"

namespace sealpost::app::internal {

class BackgroundHasher final {
 public:
  // Pieces smaller than this are hashed on the calling thread: a hand-over costs more.
  static constexpr size_t kMinBackgroundBytes = 128 * 1024;

  BackgroundHasher() = default;
  ~BackgroundHasher();
  BackgroundHasher(const BackgroundHasher&) = delete;
  BackgroundHasher& operator=(const BackgroundHasher&) = delete;

  // Adds `data` to the hash, in order after every earlier piece. Large pieces are hashed on the
  // thread (started on first use): `data` must stay valid and unchanged until Wait() returns.
  void Update(ByteView data);
  // Returns once every piece given so far has been hashed.
  void Wait();
  // Waits, then returns the digest of everything given and starts over.
  crypto::Digest256 Finish();

 private:
  void Run();

  crypto::Sha256Hasher hasher_;  // touched by the thread only while a piece is pending
  std::mutex mu_;
  std::condition_variable cv_;
  ByteView pending_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sealpost::app::internal
