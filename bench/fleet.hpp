// The controller's side of a run: a fleet of BenchClients spread over the pool's threads
// (client i on thread i % threads), and the phases every scenario goes through: connect all,
// wait for the line to go quiet, send for a measured window, drain, check, close.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "bench_client.hpp"
#include "pool.hpp"
#include "run_state.hpp"
#include "tokens.hpp"

namespace natter::bench {

class Fleet {
 public:
  Fleet(Pool& pool, RunState& run) : pool_(pool), run_(run) {}

  // Adds a client for `user` on the next thread (round robin), connecting from the next
  // source address.
  BenchClient& add(const UserToken& user, bool strict);
  std::size_t size() const { return clients_.size(); }
  BenchClient& operator[](std::size_t i) { return *clients_[i]; }

  // Joins every client, `concurrency` joins in flight in all; returns the seconds it took.
  double connect_all(std::size_t concurrency);
  // Waits until nothing has arrived for `quiet`, at most `limit`; false on the limit.
  bool wait_quiet(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);
  // Starts the send loop of every sender.
  void start_senders();
  // Warm-up, then the measured window; returns its length in seconds. Stops the senders.
  double measure(std::chrono::duration<double> warmup, std::chrono::duration<double> duration);
  // Waits for every sender to sign off (its messages back, or its drain deadline).
  bool wait_senders(std::size_t senders);
  // Records what never arrived, on every client's own thread.
  void finish();
  // Closes every client still open, waiting at most `limit`.
  void close_all(std::chrono::milliseconds limit);
  // Adds the tallies of every thread to `out`; only once the pool has stopped.
  void add_totals(ThreadStats& out) const;

 private:
  Pool& pool_;
  RunState& run_;
  std::vector<std::shared_ptr<BenchClient>> clients_;
  std::vector<std::size_t> senders_;
};

// Polls `done` every millisecond until it holds or `limit` passes; returns whether it held.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace natter::bench
