#include "app/internal/background_hasher.h"

namespace sealpost::app::internal {

BackgroundHasher::~BackgroundHasher() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BackgroundHasher::Update(ByteView data) {
  Wait();  // one piece at a time, in order
  if (data.size() < kMinBackgroundBytes) {
    hasher_.Update(data);
    return;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  {
    std::lock_guard lock(mu_);
    pending_ = data;
    busy_ = true;
  }
  cv_.notify_all();
}

void BackgroundHasher::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !busy_; });
}

crypto::Digest256 BackgroundHasher::Finish() {
  Wait();
  return hasher_.Finish();
}

void BackgroundHasher::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || busy_; });
    if (stopping_) return;
    const ByteView piece = pending_;
    lock.unlock();
    hasher_.Update(piece);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace sealpost::app::internal
