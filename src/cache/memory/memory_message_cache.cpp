// In-process recent-message cache: rings trimmed on every append.
#include "cache/memory/memory_message_cache.hpp"

#include <algorithm>

namespace natter::cache {

MemoryMessageCache::MemoryMessageCache(MemoryCacheLimits limits, std::int64_t last_public_id,
                                       std::int64_t last_private_id)
    : limits_(limits), last_public_id_(last_public_id), last_private_id_(last_private_id) {}

void MemoryMessageCache::refill(chat::Store& store) {
  const auto count = static_cast<std::int64_t>(limits_.recent_public);
  std::int64_t last = 0;
  {
    std::lock_guard lock(mutex_);
    last = last_public_id_;
  }
  // The store is read without the lock held: remember_public takes it per message.
  if (auto recent = store.public_after(std::max<std::int64_t>(0, last - count), count)) {
    for (const auto& m : *recent) remember_public(m);
  }
}

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

MemoryMessageCache::PrivateHistory& MemoryMessageCache::history_of(std::string_view user_id) {
  auto it = private_.find(user_id);
  if (it == private_.end()) {
    if (private_.size() >= limits_.max_private_users) {
      // Forget the history of some user to stay bounded; the store keeps it for good, and
      // their next connect reads it again.
      private_.erase(private_.begin());
    }
    it = private_.emplace(std::string(user_id), PrivateHistory{}).first;
  }
  return it->second;
}

void MemoryMessageCache::remember_for(std::string_view user_id,
                                      const chat::PrivateMessage& message) {
  auto& messages = history_of(user_id).messages;
  // Kept in cacheID order; a late arrival (warming from Valkey) is put in its place.
  auto at = std::upper_bound(
      messages.begin(), messages.end(), message.cache_id,
      [](std::int64_t id, const chat::PrivateMessage& m) { return id < m.cache_id; });
  if (at != messages.begin() && std::prev(at)->cache_id == message.cache_id) return;
  messages.insert(at, message);
  while (messages.size() > limits_.recent_private_per_user) messages.pop_front();
}

bool MemoryMessageCache::private_warm(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  auto it = private_.find(user_id);
  return it != private_.end() && it->second.warm;
}

void MemoryMessageCache::warm_private(std::string_view user_id,
                                      std::span<const chat::PrivateMessage> stored) {
  std::lock_guard lock(mutex_);
  for (const auto& message : stored) remember_for(user_id, message);
  history_of(user_id).warm = true;
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
  return {it->second.messages.begin(), it->second.messages.end()};
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
