// Commands to Valkey from any thread, without waiting: submit() queues a command and returns;
// one thread writes everything queued in one batch and reads the replies in order (one round
// trip for the batch), then hands each reply to its callback on that thread. While Valkey
// cannot be reached, callbacks get no reply (the caller answers `unavailable`) and the thread
// reconnects with backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cache/valkey/connection.hpp"
#include "common/log_event.hpp"

namespace natter::cache {

class Pipeline {
 public:
  // `reply` is null when Valkey could not be asked (down, or too far behind).
  using Done = std::function<void(const Reply* reply)>;
  // Runs on the pipeline thread after every (re)connection, before any queued command.
  using OnConnect = std::function<std::vector<Command>()>;

  // At most `max_batch` commands go in one round trip.
  Pipeline(ValkeyAddress address, std::string name, std::size_t max_batch = 1024,
           std::size_t max_queued = 100000);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void start(OnConnect on_connect);
  // Sends what is queued (while Valkey answers), then stops the thread.
  void stop();

  // Queues a command. `fallback` is sent instead if the reply is NOSCRIPT (EVAL for EVALSHA).
  void submit(Command command, Done done = {}, Command fallback = {});
  // Queues a command ahead of everything queued (from OnConnect: before what waited for it).
  void submit_first(Command command, Done done = {}, Command fallback = {});
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  std::size_t batches() const { return batches_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    Command command;
    Done done;
    Command fallback;
  };
  void run();
  bool connect();
  void fail(std::deque<Pending>& pending);

  ValkeyAddress address_;
  std::string name_;
  OutageLog outage_{"cache"};  // cache_down / cache_up, once each
  std::size_t max_batch_;
  std::size_t max_queued_;
  OnConnect on_connect_;
  std::unique_ptr<Connection> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<bool> connected_{false};
  std::atomic<std::size_t> batches_{0};
  std::thread thread_;
};

}  // namespace natter::cache
