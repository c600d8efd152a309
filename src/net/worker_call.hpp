// Runs a blocking call (a store query) on the worker pool and resumes the calling coroutine
// on its own executor with the result, so a shard never waits on a database. Every call has a
// deadline: a call past it still finishes on its worker; only its answer is dropped.
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

#include "common/worker_pool.hpp"

namespace natter::net {

// What a store call may take by default, queueing included.
inline constexpr std::chrono::seconds kWorkerDeadline{5};

// nullopt when the pool refused the call (backlog full or stopping) or it did not answer
// within `deadline`.
//
// g++ 12 destroys a temporary twice when it has a non-trivial destructor and stands in a
// co_await expression, so nothing here is a temporary there: pass `f` as a named lambda
// (std::move(query)), never one written inline in the co_await.
template <typename F>
boost::asio::awaitable<std::optional<std::invoke_result_t<F>>> on_worker(
    WorkerPool& pool, F f, std::chrono::steady_clock::duration deadline = kWorkerDeadline) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F>;
  // Touched only on the calling coroutine's executor: the worker posts its answer there.
  struct Pending {
    explicit Pending(const asio::any_io_executor& executor) : timer(executor) {}
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
  if (!pool.submit(std::move(work))) co_return std::nullopt;
  // Ends at the deadline, or earlier when the answer cancels the timer.
  co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(pending->answer);
}

}  // namespace natter::net
