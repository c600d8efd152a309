// The in-process MessageCache of embedded mode: the recent public messages in a ring, the
// recent private messages per user, and the two cacheID counters. Thread-safe; bounded.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "chat/ports.hpp"
#include "chat/store.hpp"
#include "common/limits.hpp"
#include "common/string_hash.hpp"

namespace natter::cache {

struct MemoryCacheLimits {
  std::size_t recent_public = Limits::public_replay;  // what a connecting client is replayed
  std::size_t recent_private_per_user = 200;
  std::size_t max_private_users = 100000;  // users with a private history held at once
};

class MemoryMessageCache final : public chat::MessageCache {
 public:
  explicit MemoryMessageCache(MemoryCacheLimits limits = {}, std::int64_t last_public_id = 0,
                              std::int64_t last_private_id = 0);

  // At start, before any use: the store's newest public messages (as many as the ring holds,
  // up to the last public cacheID this cache was built with), so a client connecting first is
  // replayed them. A store that cannot answer leaves the ring empty.
  void refill(chat::Store& store);

  std::int64_t next_public_id() override;
  std::int64_t next_private_id() override;
  void remember_public(const chat::ChatMessage& message) override;
  void remember_private(const chat::PrivateMessage& message) override;
  std::int64_t oldest_public_id() override;
  std::vector<chat::ChatMessage> recent_public(std::int64_t since, std::size_t limit) override;
  std::vector<chat::PrivateMessage> recent_private(std::string_view user_id) override;
  bool private_warm(std::string_view user_id) override;
  void warm_private(std::string_view user_id,
                    std::span<const chat::PrivateMessage> stored) override;
  std::vector<std::int64_t> remove_public(std::span<const std::int64_t> cache_ids) override;

 private:
  struct PrivateHistory {
    std::deque<chat::PrivateMessage> messages;  // oldest first, by cacheID
    bool warm = false;                          // the store's history merged in
  };
  // The user's history, made (and the oldest other user's forgotten, to stay bounded) if new.
  PrivateHistory& history_of(std::string_view user_id);
  void remember_for(std::string_view user_id, const chat::PrivateMessage& message);

  MemoryCacheLimits limits_;
  std::mutex mutex_;
  std::int64_t last_public_id_;
  std::int64_t last_private_id_;
  std::deque<chat::ChatMessage> public_;
  std::unordered_map<std::string, PrivateHistory, StringHash, std::equal_to<>> private_;
};

}  // namespace natter::cache
