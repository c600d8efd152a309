// The number of open WebSocket sessions, counted up and down by the sessions on every shard,
// and the one thing that waits on it: a graceful shutdown, told when the last session ends
// rather than looking every few milliseconds.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>

namespace natter::net {

class SessionCount {
 public:
  std::size_t operator++() { return ++count_; }
  // The session that brings the count to zero calls the waiter, if one is set, on its thread.
  std::size_t operator--();
  std::size_t load() const { return count_.load(); }

  // Calls `waiter` once, when the count is zero: at once (on this thread) when it is zero now,
  // else on the thread of the session that ends last. An empty function unsets the waiter.
  void when_empty(std::function<void()> waiter);

 private:
  std::atomic<std::size_t> count_{0};
  std::mutex mutex_;  // guards waiter_
  std::function<void()> waiter_;
};

}  // namespace natter::net
