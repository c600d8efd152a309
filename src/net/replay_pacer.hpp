// Paces the store reads of reconnect replays (`?since=` older than the cache) across the
// whole server, so a reconnect storm waits its turn instead of raising everyone's latency.
// A virtual-schedule token bucket; shared by every shard (one mutex). Knows no sockets.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>

namespace natter::net {

class ReplayPacer {
 public:
  using Clock = std::chrono::steady_clock;

  // `pages_per_second` store pages on average, `burst` of them at once.
  ReplayPacer(double pages_per_second, std::size_t burst);

  // Books `pages` and says how long to wait before reading them, or nullopt (nothing
  // booked) when that wait would pass `max_wait`.
  std::optional<Clock::duration> reserve(std::size_t pages, Clock::duration max_wait,
                                         Clock::time_point now = Clock::now());

 private:
  std::mutex mutex_;
  Clock::duration interval_;  // one page's share of a second
  Clock::duration burst_;     // what may be booked ahead without waiting
  Clock::time_point booked_until_{};
};

}  // namespace natter::net
