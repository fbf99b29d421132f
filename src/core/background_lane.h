// One job at a time on a thread of its own, so a stream can overlap two steps (hash while
// encrypting, read the disk while decrypting) without a pool. The thread starts with the first
// job and ends with the lane.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sealpost {

class BackgroundLane final {
 public:
  BackgroundLane() = default;
  ~BackgroundLane();
  BackgroundLane(const BackgroundLane&) = delete;
  BackgroundLane& operator=(const BackgroundLane&) = delete;

  // Runs `job` on the lane's thread once the previous job has finished. Whatever `job` touches
  // must stay valid until Wait() returns.
  void Start(std::function<void()> job);
  // Returns once the job started last has finished (at once if there is none).
  void Wait();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sealpost
