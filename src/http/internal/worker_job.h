// A computation started on the worker pool now and awaited later, so that a connection can keep
// its socket busy while the CPU-heavy part of a transfer runs on another thread: an upload reads
// chunk n+1 from the network while chunk n is hashed, encrypted and written; a download sends
// chunk n while chunk n+1 is read and decrypted. (Boost 1.74 has neither promises nor parallel
// groups for coroutines, hence this small one-shot future.)
//
// Thread-safety: Start() and Wait() from the connection's strand; the function runs on a worker.
// Whatever the function references must outlive the job: always co_await Wait() before those
// objects go away, on every path, including errors.
#pragma once

#include <utility>  // before Asio (g++ 12)

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

#include "http/internal/beast.h"

namespace sealpost::http::internal {

template <typename R>
class WorkerJob {
 public:
  // Runs `f` on `workers`; `on_exception` turns an escaping exception into an R, because a
  // throwing worker would take the whole pool down.
  template <typename F, typename OnException>
  static WorkerJob Start(asio::thread_pool& workers, F f, OnException on_exception) {
    static_assert(std::is_same_v<std::invoke_result_t<F&>, R>);
    WorkerJob job;
    job.state_ = std::make_shared<State>();
    asio::post(workers, [state = job.state_, f = std::move(f),
                         on_exception = std::move(on_exception)]() mutable {
      std::optional<R> result;
      try {
        result.emplace(f());
      } catch (const std::exception& e) {
        result.emplace(on_exception(e.what()));
      } catch (...) {
        result.emplace(on_exception("a non-standard exception"));
      }
      std::function<void()> resume;
      {
        std::lock_guard lock(state->mutex);
        state->result = std::move(result);
        resume = std::move(state->resume);
      }
      if (resume) resume();
    });
    return job;
  }

  bool started() const { return state_ != nullptr; }

  // Resumes the caller on its own executor with the result; the job is empty afterwards. Not a
  // coroutine itself (like RunOnWorker): the returned awaitable holds the state.
  asio::awaitable<R> Wait() {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
        Initiation{std::move(state_)}, asio::use_awaitable);
  }

 private:
  struct State {
    std::mutex mutex;
    std::optional<R> result;
    std::function<void()> resume;
  };
  struct Initiation {
    std::shared_ptr<State> state;

    template <typename Handler>
    void operator()(Handler handler) const {
      // use_awaitable handlers are move-only; std::function needs a copyable callable.
      auto shared = std::make_shared<Handler>(std::move(handler));
      auto deliver = [state = state, shared] {
        auto executor = asio::get_associated_executor(*shared);
        asio::post(executor, [state, shared] { (*shared)(std::move(*state->result)); });
      };
      std::unique_lock lock(state->mutex);
      if (state->result) {
        lock.unlock();
        deliver();
      } else {
        state->resume = std::move(deliver);
      }
    }
  };

  std::shared_ptr<State> state_;
};

}  // namespace sealpost::http::internal
