// The chat domain's values: channels, public and private messages, presence. Plain data,
// shared by the hub, the cache and store ports and the protocol encoder.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace natter::chat {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

inline TimePoint now_micros() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
}

struct Channel {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::int64_t sort_order = 0;
};

struct ChatMessage {
  std::optional<std::int64_t> id;  // database row id, only when read back from a store
  std::int64_t cache_id = 0;
  std::string owner_id;
  std::string username;
  std::string channel;
  std::string message;
  TimePoint authored_at;
};

struct PrivateMessage {
  std::optional<std::int64_t> id;
  std::int64_t cache_id = 0;
  std::string owner_id;
  std::string username;
  std::string recipient_id;
  std::string recipient;
  std::string message;
  TimePoint authored_at;
};

// An accepted message of either kind.
using Accepted = std::variant<ChatMessage, PrivateMessage>;

struct UserStatus {
  std::string username;
  std::string id;
  bool status = false;
};

}  // namespace natter::chat
