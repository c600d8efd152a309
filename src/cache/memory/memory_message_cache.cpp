// In-process recent-message cache: rings trimmed on every append.
#include "cache/memory/memory_message_cache.hpp"

#include <algorithm>

namespace natter::cache {

MemoryMessageCache::MemoryMessageCache(MemoryCacheLimits limits, std::int64_t last_public_id,
                                       std::int64_t last_private_id)
    : limits_(limits), last_public_id_(last_public_id), last_private_id_(last_private_id) {}

std::int64_t MemoryMessageCache::next_public_id() {
  std::lock_guard lock(mutex_);
  return ++last_public_id_;
}

std::int64_t MemoryMessageCache::next_private_id() {
  std::lock_guard lock(mutex_);
  return ++last_private_id_;
}

void MemoryMessageCache::remember_public(const chat::ChatMessage& message) {
  std::lock_guard lock(mutex_);
  // Kept in cacheID order; a late arrival (warming from the store) is put in its place.
  auto at =
      std::upper_bound(public_.begin(), public_.end(), message.cache_id,
                       [](std::int64_t id, const chat::ChatMessage& m) { return id < m.cache_id; });
  if (at != public_.begin() && std::prev(at)->cache_id == message.cache_id) return;
  public_.insert(at, message);
  while (public_.size() > limits_.recent_public) public_.pop_front();
}

void MemoryMessageCache::remember_private(const chat::PrivateMessage& message) {
  std::lock_guard lock(mutex_);
  remember_for(message.owner_id, message);
  if (message.recipient_id != message.owner_id) remember_for(message.recipient_id, message);
}

void MemoryMessageCache::remember_for(const std::string& user_id,
                                      const chat::PrivateMessage& message) {
  auto it = private_.find(user_id);
  if (it == private_.end()) {
    if (private_.size() >= limits_.max_private_users) {
      // Forget the history of some user to stay bounded; the store keeps it for good.
      private_.erase(private_.begin());
    }
    it = private_.emplace(user_id, std::deque<chat::PrivateMessage>{}).first;
  }
  it->second.push_back(message);
  while (it->second.size() > limits_.recent_private_per_user) it->second.pop_front();
}

std::int64_t MemoryMessageCache::oldest_public_id() {
  std::lock_guard lock(mutex_);
  return public_.empty() ? 0 : public_.front().cache_id;
}

std::vector<chat::ChatMessage> MemoryMessageCache::recent_public(std::int64_t since,
                                                                 std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto first =
      std::upper_bound(public_.begin(), public_.end(), since,
                       [](std::int64_t id, const chat::ChatMessage& m) { return id < m.cache_id; });
  const auto available = static_cast<std::size_t>(public_.end() - first);
  if (available > limit) first += static_cast<std::ptrdiff_t>(available - limit);
  return {first, public_.end()};
}

std::vector<chat::PrivateMessage> MemoryMessageCache::recent_private(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  auto it = private_.find(user_id);
  if (it == private_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::int64_t> MemoryMessageCache::remove_public(
    std::span<const std::int64_t> cache_ids) {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> removed;
  std::erase_if(public_, [&](const chat::ChatMessage& m) {
    if (std::find(cache_ids.begin(), cache_ids.end(), m.cache_id) == cache_ids.end()) return false;
    removed.push_back(m.cache_id);
    return true;
  });
  return removed;
}

}  // namespace natter::cache
