// Runs a blocking call (a store query) on the worker pool and resumes the calling coroutine
// on its own executor with the result, so a shard never waits on a database.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/worker_pool.hpp"

namespace natter::net {

// nullopt when the pool refused the call (backlog full or stopping).
//
// g++ 12 destroys a temporary twice when it has a non-trivial destructor and stands in a
// co_await expression, so nothing here is a temporary there: pass `f` as a named lambda
// (std::move(query)), never one written inline in the co_await.
template <typename F>
boost::asio::awaitable<std::optional<std::invoke_result_t<F>>> on_worker(WorkerPool& pool, F f) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F>;
  auto executor = co_await asio::this_coro::executor;
  auto task = std::make_shared<F>(std::move(f));
  auto initiation = [&pool, executor, task](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    const bool queued = pool.submit([shared, executor, task] {
      auto result = std::make_shared<std::optional<R>>((*task)());
      asio::post(executor, [shared, result] { (*shared)(std::move(*result)); });
    });
    if (!queued) asio::post(executor, [shared] { (*shared)(std::optional<R>{}); });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::optional<R>)>(
      std::move(initiation), asio::use_awaitable);
}

}  // namespace natter::net
