// The phases of a run, driven from the controlling thread.
#include "fleet.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace natter::bench {

BenchClient& Fleet::add(const UserToken& user, bool strict) {
  const std::size_t i = clients_.size();
  const std::size_t thread = i % pool_.size();
  const auto& sources = run_.settings.sources;
  const asio::ip::address source =
      sources.empty() ? asio::ip::address() : sources[i % sources.size()];
  clients_.push_back(std::make_shared<BenchClient>(pool_.context(thread), run_, *run_.stats[thread],
                                                   user, source, strict));
  return *clients_.back();
}

double Fleet::connect_all(std::size_t concurrency) {
  const std::size_t threads = pool_.size();
  const std::size_t per_thread = std::max<std::size_t>(1, concurrency / threads);
  const std::size_t target = run_.greeted.load() + run_.failed.load() + clients_.size();
  const auto start = std::chrono::steady_clock::now();
  pool_.on_each([this, threads, per_thread](std::size_t thread) {
    // The thread's own clients, joined by `per_thread` workers taking the next one in turn.
    auto queue = std::make_shared<std::vector<std::shared_ptr<BenchClient>>>();
    for (std::size_t i = thread; i < clients_.size(); i += threads) queue->push_back(clients_[i]);
    auto next = std::make_shared<std::size_t>(0);
    for (std::size_t w = 0; w < per_thread && w < queue->size(); ++w) {
      asio::co_spawn(
          pool_.context(thread),
          [queue, next]() -> asio::awaitable<void> {
            while (*next < queue->size()) co_await (*queue)[(*next)++]->join();
          },
          asio::detached);
    }
  });
  wait_until([&] { return run_.greeted.load() + run_.failed.load() >= target; },
             run_.settings.connect_timeout * 4 + std::chrono::seconds(60));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool Fleet::wait_quiet(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
  const auto quiet_ns = std::chrono::nanoseconds(quiet).count();
  return wait_until(
      [&] {
        std::int64_t last = 0;
        for (const auto& stats : run_.stats) {
          last = std::max(last, stats->last_rx_ns.load(std::memory_order_relaxed));
        }
        return steady_ns() - last >= quiet_ns;
      },
      limit);
}

void Fleet::start_senders() {
  senders_.clear();
  run_.stop_sending = false;
  run_.senders_done = 0;
  const std::size_t threads = pool_.size();
  pool_.on_each([this, threads](std::size_t thread) {
    for (std::size_t i = thread; i < clients_.size(); i += threads) {
      auto& client = clients_[i];
      if (!client->sends()) continue;
      asio::co_spawn(
          pool_.context(thread), [client] { return client->send_loop(); }, asio::detached);
    }
  });
}

double Fleet::measure(std::chrono::duration<double> warmup,
                      std::chrono::duration<double> duration) {
  std::this_thread::sleep_for(warmup);
  const std::int64_t start = steady_ns();
  run_.window_start_ns = start;
  std::this_thread::sleep_for(duration);
  const std::int64_t end = steady_ns();
  run_.window_end_ns = end;
  run_.stop_sending = true;
  return static_cast<double>(end - start) / 1e9;
}

bool Fleet::wait_senders(std::size_t senders) {
  return wait_until([&] { return run_.senders_done.load(std::memory_order_acquire) >= senders; },
                    run_.settings.drain_timeout + std::chrono::seconds(5));
}

void Fleet::finish() {
  const std::size_t threads = pool_.size();
  pool_.on_each([this, threads](std::size_t thread) {
    for (std::size_t i = thread; i < clients_.size(); i += threads)
      clients_[i]->finish(run_.ledgers);
  });
}

void Fleet::close_all(std::chrono::milliseconds limit) {
  const std::size_t threads = pool_.size();
  auto pending = std::make_shared<std::atomic<std::size_t>>(clients_.size());
  pool_.on_each([this, threads, pending](std::size_t thread) {
    for (std::size_t i = thread; i < clients_.size(); i += threads) {
      asio::co_spawn(
          pool_.context(thread),
          [client = clients_[i], pending]() -> asio::awaitable<void> {
            co_await client->leave();
            pending->fetch_sub(1);
          },
          asio::detached);
    }
  });
  wait_until([&] { return pending->load() == 0; }, limit);
}

void Fleet::add_totals(ThreadStats& out) const {
  for (const auto& stats : run_.stats) out.merge(*stats);
}

}  // namespace natter::bench
