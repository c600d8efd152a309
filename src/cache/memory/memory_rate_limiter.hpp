// The in-process RateLimiter of embedded mode: a sliding log per user (the times of the
// messages counted within the window), so "10 per 60 s" means exactly that in any 60 s.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "chat/ports.hpp"
#include "common/string_hash.hpp"

namespace natter::cache {

class MemoryRateLimiter final : public chat::RateLimiter {
 public:
  explicit MemoryRateLimiter(chat::RateLimit limit);

  chat::RateDecision acquire(std::string_view user_id,
                             std::chrono::steady_clock::time_point now) override;
  void set_limit(chat::RateLimit limit) override;
  chat::RateLimit limit() const override;

 private:
  using Log = std::deque<std::chrono::steady_clock::time_point>;
  void sweep(std::chrono::steady_clock::time_point now);

  mutable std::mutex mutex_;
  chat::RateLimit limit_;
  std::unordered_map<std::string, Log, StringHash, std::equal_to<>> logs_;
  std::size_t acquires_since_sweep_ = 0;
};

}  // namespace natter::cache
