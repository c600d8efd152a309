// Runs a store call for a REST route off the IO thread, with a deadline: a store that does not
// answer in time, or a worker pool that refuses the call, is "unavailable" (503). A call past
// its deadline still finishes on its worker; only its answer is dropped. Every call's time
// (queueing included) and failure is recorded in the metrics.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/result.hpp"
#include "common/worker_pool.hpp"
#include "metrics/metrics.hpp"

namespace natter::api {

inline constexpr std::chrono::seconds kStoreDeadline{5};

// `f` returns a Result<T>; so does the call. Pass `f` named and moved, never as a lambda
// written inside the co_await (g++ 12: see net/worker_call.hpp).
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F>> call_store(
    WorkerPool& pool, metrics::Metrics& meter, F f,
    std::chrono::steady_clock::duration deadline = kStoreDeadline,
    metrics::StoreCaller caller = metrics::StoreCaller::api) {
  namespace asio = boost::asio;
  const auto started = std::chrono::steady_clock::now();
  using R = std::invoke_result_t<F>;
  // Touched only on the calling coroutine's executor: the worker posts its answer there.
  struct Pending {
    explicit Pending(asio::any_io_executor executor) : timer(std::move(executor)) {}
    asio::steady_timer timer;
    std::optional<R> answer;
  };
  auto executor = co_await asio::this_coro::executor;
  auto pending = std::make_shared<Pending>(executor);
  pending->timer.expires_after(deadline);
  auto task = std::make_shared<F>(std::move(f));
  auto work = [pending, task, executor]() mutable {
    auto answer = std::make_shared<R>((*task)());
    auto deliver = [pending = std::move(pending), answer] {
      pending->answer.emplace(std::move(*answer));
      pending->timer.cancel();
    };
    asio::post(executor, std::move(deliver));
  };
  if (!pool.submit(std::move(work))) {
    meter.store_call(caller, std::chrono::steady_clock::now() - started, false);
    co_return R(Error{Error::Kind::unavailable, "the store is busy; try again"});
  }
  // Ends at the deadline, or earlier when the answer cancels the timer.
  co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  meter.store_call(caller, std::chrono::steady_clock::now() - started,
                   pending->answer && pending->answer->ok());
  if (!pending->answer) {
    co_return R(Error{Error::Kind::unavailable, "the store did not answer in time"});
  }
  co_return std::move(*pending->answer);
}

}  // namespace natter::api
