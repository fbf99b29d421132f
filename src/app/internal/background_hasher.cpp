#include "app/internal/background_hasher.h"

namespace sealpost::app::internal {

void BackgroundHasher::Update(ByteView data) {
  lane_.Wait();  // one piece at a time, in order
  if (data.size() < kMinBackgroundBytes) {
    hasher_.Update(data);
    return;
  }
  lane_.Start([this, data] { hasher_.Update(data); });
}

void BackgroundHasher::Wait() { lane_.Wait(); }

crypto::Digest256 BackgroundHasher::Finish() {
  lane_.Wait();
  return hasher_.Finish();
}

}  // namespace sealpost::app::internal
