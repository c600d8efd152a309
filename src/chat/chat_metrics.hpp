// What the chat layer reports about itself: client messages in and frames handed to connections
// by type, how long an accepted message took to reach the shards, and the commit queue's batches
// and depth. An
// interface only: metrics/ implements it (Prometheus), chat/ never sees how it is exported.
// Called on hot paths and from any thread, so an implementation must be cheap and lock-free.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace natter::chat {

// Server-to-client message types (PROTOCOL.md sections 2 and 4); both analytics envelopes
// count as `analytics`.
enum class OutKind : std::uint8_t {
  chat_message,
  private_chat_message,
  bulk_chat_messages,
  bulk_private_messages,
  active_channels,
  connected_users,
  user_status,
  messages_deleted,
  analytics,
  error,
  pong,
};
inline constexpr std::size_t kOutKinds = 11;

std::string_view to_string(OutKind kind);

// Client-to-server message types (PROTOCOL.md sections 3 and 4); `invalid` is anything that
// does not parse (bad JSON, unknown type, bad fields, binary frames).
enum class InKind : std::uint8_t {
  chat_message,
  private_chat_message,
  ping,
  pong,
  refresh_token,
  invalid
};

class ChatMetrics {
 public:
  using Duration = std::chrono::steady_clock::duration;

  virtual ~ChatMetrics() = default;
  // `recipients` connections were handed one frame of this kind.
  virtual void frames_out(OutKind kind, std::size_t recipients) = 0;
  // An accepted message was handed to every shard this long after it was accepted.
  virtual void fanned_out(Duration since_accepted) = 0;
  // The commit queue stored (or failed to store) a batch of this many messages.
  virtual void committed(std::size_t batch_size, Duration took, bool ok) = 0;
  // Messages waiting in the commit queue.
  virtual void commit_queue_depth(std::size_t depth) = 0;
  // A client message arrived, of this kind.
  virtual void message_in(InKind kind) = 0;
  // A client message was refused by the rate limiter.
  virtual void rate_limited() = 0;

  // An implementation that records nothing (tests, benchmarks).
  static ChatMetrics& none();
};

}  // namespace natter::chat
