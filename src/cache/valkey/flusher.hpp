// Moves accepted messages from Valkey's flush queue (natter:flush) into the store, in batches,
// one instance at a time (the natter:flush:lock key, held with an expiry and extended while
// working). A batch leaves the queue only after the store committed it; the store skips
// cacheIDs it already has, so a flusher that dies between commit and trim duplicates nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cache/valkey/connection.hpp"
#include "chat/store.hpp"
#include "common/result.hpp"

namespace natter::cache {

struct FlusherSettings {
  ValkeyAddress address;
  std::string instance;
  std::chrono::milliseconds interval{100};  // how often an idle flusher looks
  std::size_t batch = 500;
  std::chrono::milliseconds lock_ttl{5000};
};

struct FlushStats {
  std::size_t batch = 0;      // messages in the batch just stored
  std::size_t remaining = 0;  // queue length after it
};

class Flusher {
 public:
  using Observe = std::function<void(const FlushStats&)>;

  Flusher(FlusherSettings settings, chat::Store& store, Observe observe = {});
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  void start();
  // Flushes what is queued (within `budget`), lets go of the lock and stops.
  void stop(std::chrono::milliseconds budget);

  std::size_t stored() const { return stored_.load(std::memory_order_relaxed); }

 private:
  void run();
  // One step: true when it stored a full batch (so more may be waiting); an error when Valkey
  // or the store failed (routine: the loop backs off and reconnects).
  Result<bool> step(Connection& connection);

  FlusherSettings settings_;
  chat::Store& store_;
  Observe observe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<std::size_t> stored_{0};
  std::thread thread_;
};

}  // namespace natter::cache
