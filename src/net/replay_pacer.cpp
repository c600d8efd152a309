// The token bucket behind reconnect replays' store reads.
#include "net/replay_pacer.hpp"

#include <algorithm>

namespace natter::net {

ReplayPacer::ReplayPacer(double pages_per_second, std::size_t burst)
    : interval_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(1.0 / pages_per_second))),
      burst_(interval_ * static_cast<Clock::rep>(burst)) {}

std::optional<ReplayPacer::Clock::duration> ReplayPacer::reserve(std::size_t pages,
                                                                 Clock::duration max_wait,
                                                                 Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto until = std::max(booked_until_, now) + interval_ * static_cast<Clock::rep>(pages);
  const auto wait = std::max(Clock::duration::zero(), until - now - burst_);
  if (wait > max_wait) return std::nullopt;
  booked_until_ = until;
  return wait;
}

}  // namespace natter::net
