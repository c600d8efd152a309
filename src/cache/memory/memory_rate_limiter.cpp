// Sliding-log rate limiter. Logs of users idle for a whole window are swept now and then, so
// memory follows the users active within one window.
#include "cache/memory/memory_rate_limiter.hpp"

namespace natter::cache {

MemoryRateLimiter::MemoryRateLimiter(chat::RateLimit limit) : limit_(limit) {}

chat::RateDecision MemoryRateLimiter::acquire(std::string_view user_id,
                                              std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  const std::chrono::steady_clock::duration window = std::chrono::seconds(limit_.window_seconds);
  if (++acquires_since_sweep_ >= 4096) sweep(now);

  auto it = logs_.find(user_id);
  if (it == logs_.end()) it = logs_.emplace(std::string(user_id), Log{}).first;
  Log& log = it->second;
  while (!log.empty() && log.front() <= now - window) log.pop_front();
  const auto limit = static_cast<std::size_t>(limit_.message_limit);
  while (log.size() > limit) log.pop_front();  // the limit was lowered
  if (log.size() == limit) {
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(log.front() + window - now);
    return {false, std::max(wait, std::chrono::milliseconds(1))};
  }
  log.push_back(now);
  return {true, {}};
}

void MemoryRateLimiter::sweep(std::chrono::steady_clock::time_point now) {
  acquires_since_sweep_ = 0;
  const auto window = std::chrono::seconds(limit_.window_seconds);
  std::erase_if(logs_, [&](const auto& entry) {
    return entry.second.empty() || entry.second.back() <= now - window;
  });
}

void MemoryRateLimiter::set_limit(chat::RateLimit limit) {
  std::lock_guard lock(mutex_);
  limit_ = limit;
}

chat::RateLimit MemoryRateLimiter::limit() const {
  std::lock_guard lock(mutex_);
  return limit_;
}

}  // namespace natter::cache
