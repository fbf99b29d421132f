// SHA-256 on a second thread, so an attachment is hashed while the calling thread encrypts
// (upload) or decrypts (download) it: the two are the costliest steps per byte and ran one after
// the other before. Internal to app/.
#pragma once

#include "core/background_lane.h"
#include "core/encoding.h"
#include "crypto/hash.h"

namespace sealpost::app::internal {

class BackgroundHasher final {
 public:
  // Pieces smaller than this are hashed on the calling thread: a hand-over costs more.
  static constexpr size_t kMinBackgroundBytes = 128 * 1024;

  BackgroundHasher() = default;
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
  crypto::Sha256Hasher hasher_;  // touched by the lane only while a piece is pending
  BackgroundLane lane_;          // last: it finishes its piece before the hasher goes
};

}  // namespace sealpost::app::internal
