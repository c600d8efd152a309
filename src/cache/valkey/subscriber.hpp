// Listens on one Valkey pub/sub channel on a thread of its own, reconnecting with backoff:
// every published text goes to `on_message`, in the order Valkey published it;
// `on_subscribed` runs after each (re)subscription (to catch up on what was missed).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "cache/valkey/connection.hpp"

namespace natter::cache {

class Subscriber {
 public:
  using OnMessage = std::function<void(std::string_view text)>;
  using OnSubscribed = std::function<void()>;

  Subscriber(ValkeyAddress address, std::string channel);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void start(OnMessage on_message, OnSubscribed on_subscribed);
  void stop();
  bool subscribed() const { return subscribed_.load(std::memory_order_relaxed); }

 private:
  void run();

  ValkeyAddress address_;
  std::string channel_;
  OnMessage on_message_;
  OnSubscribed on_subscribed_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::thread thread_;
};

}  // namespace natter::cache
