// Runs a store call for a REST route off the IO thread (net::on_worker, with its deadline): a
// store that does not answer in time, or a worker pool that refuses the call, is
// "unavailable" (503). Every call's time (queueing included) and failure is recorded in the
// metrics.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <type_traits>
#include <utility>

#include "common/result.hpp"
#include "common/worker_pool.hpp"
#include "metrics/metrics.hpp"
#include "net/worker_call.hpp"

namespace natter::api {

inline constexpr auto kStoreDeadline = net::kWorkerDeadline;

// `f` returns a Result<T>; so does the call. Pass `f` named and moved, never as a lambda
// written inside the co_await (g++ 12: see net/worker_call.hpp).
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F>> call_store(
    WorkerPool& pool, metrics::Metrics& meter, F f,
    std::chrono::steady_clock::duration deadline = kStoreDeadline,
    metrics::StoreCaller caller = metrics::StoreCaller::api) {
  using R = std::invoke_result_t<F>;
  const auto started = std::chrono::steady_clock::now();
  auto answer = co_await net::on_worker(pool, std::move(f), deadline);
  const auto took = std::chrono::steady_clock::now() - started;
  meter.store_call(caller, took, answer && answer->ok());
  if (!answer) {
    // A refusal comes at once; a call that ran out of time took the whole deadline.
    co_return R(Error{Error::Kind::unavailable, took >= deadline
                                                    ? "the store did not answer in time"
                                                    : "the store is busy; try again"});
  }
  co_return std::move(*answer);
}

}  // namespace natter::api
