// What the hub needs of one client connection: a way to queue a frame and a way to close it.
// Implemented by net's WebSocket session; faked in tests. Both calls happen only on the
// connection's own shard, never block, and never re-enter the hub.
#pragma once

#include <cstdint>
#include <string_view>

#include "chat/protocol.hpp"

namespace natter::chat {

enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,  // server shutting down: reconnect
  policy = 1008,
  too_big = 1009,
  token_expired = 4001,
  banned = 4003,
  too_slow = 4008,  // the send queue overflowed
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Queues a frame. A connection whose queue overflows marks itself for closing (4008) and
  // closes later, on its own executor, never inside the caller's loop.
  virtual void send(const Frame& frame) = 0;
  virtual void close(CloseCode code, std::string_view reason) = 0;
};

}  // namespace natter::chat
