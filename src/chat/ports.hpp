// The hot ports the hub talks through on every message: the recent-message cache and cacheID
// counters (MessageCache) and the per-user rate limiter (RateLimiter). Implemented in-process
// (cache/memory) and by Valkey. Calls here are synchronous and fast; the hub serialises them.
// The durable Store port is in chat/store.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/message.hpp"

namespace natter::chat {

class MessageCache {
 public:
  virtual ~MessageCache() = default;
  // Takes the next cacheID of its kind: strictly increasing, never reused.
  virtual std::int64_t next_public_id() = 0;
  virtual std::int64_t next_private_id() = 0;
  // Keeps a delivered message among the recent ones (for its sender and recipient).
  virtual void remember_public(const ChatMessage& message) = 0;
  virtual void remember_private(const PrivateMessage& message) = 0;
  // The oldest public cacheID held (0 when none): replay from before it needs the store.
  virtual std::int64_t oldest_public_id() = 0;
  // Recent public messages with cacheID > since, oldest first, at most `limit`.
  virtual std::vector<ChatMessage> recent_public(std::int64_t since, std::size_t limit) = 0;
  // Recent private messages sent by or to `user_id`, oldest first.
  virtual std::vector<PrivateMessage> recent_private(std::string_view user_id) = 0;
  // Whether the user's private history has been read from the store since start (so the
  // cache holds their recent ones); if not, a connect reads it and hands it to
  // warm_private, which merges it by cacheID with what arrived meanwhile.
  virtual bool private_warm(std::string_view user_id) = 0;
  virtual void warm_private(std::string_view user_id, std::span<const PrivateMessage> stored) = 0;
  // Forgets these public messages; returns the cacheIDs that were held.
  virtual std::vector<std::int64_t> remove_public(std::span<const std::int64_t> cache_ids) = 0;
};

struct RateLimit {
  std::int64_t message_limit = 10;
  std::int64_t window_seconds = 60;
};

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: until a slot frees up
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Counts one message for `user_id` if it is within the limit.
  virtual RateDecision acquire(std::string_view user_id,
                               std::chrono::steady_clock::time_point now) = 0;
  virtual void set_limit(RateLimit limit) = 0;
  virtual RateLimit limit() const = 0;
};

}  // namespace natter::chat
