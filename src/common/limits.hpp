// Every limit natter holds to, in one place, each with its reason (the model: uWebSockets'
// WebSocketBehavior). The fixed ones are the protocol's and the same on every instance; the
// others have these defaults and are set from the configuration (config/settings.cpp), then
// handed down to the components that apply them.
#pragma once

#include <chrono>
#include <cstddef>

namespace natter {

struct Limits {
  // --- fixed (docs/protocol.md) ---
  // A channel name: fits a sidebar (OnRabble's limit too).
  static constexpr std::size_t channel_name_bytes = 64;
  // A user id (a token's `sub`): Keycloak's are 36 bytes; OpenID Connect allows 255.
  static constexpr std::size_t user_id_bytes = 255;
  // A token (query, header or refresh_token): Keycloak's are 1-3 KiB; bounds the work of one.
  static constexpr std::size_t token_bytes = std::size_t{16} * 1024;
  // An HTTP request line and headers: a token and the usual headers, several times over.
  static constexpr std::size_t http_header_bytes = std::size_t{16} * 1024;
  // Public messages replayed on connect without `since`: what the recent cache (and Valkey's
  // recent list) holds.
  static constexpr std::size_t public_replay = 500;
  // Messages per store read of a long replay: one page is one cheap indexed range read.
  static constexpr std::size_t replay_page = 500;

  // --- configurable (config/settings.cpp names the setting of each) ---
  // Text of one chat message; generous for chat, small enough to keep 500 replayed cheap.
  std::size_t max_message_bytes = 4096;
  // One WebSocket message; above it the connection is closed with 1009.
  std::size_t max_frame_bytes = 65536;
  // Frames a session may have queued: a client this far behind is not keeping up (4008).
  std::size_t send_queue_messages = 1024;
  std::size_t send_queue_bytes = 8u << 20;  // ...and bytes, so big replays count right
  // Client messages read per second per connection before reads pause (flood guard).
  std::size_t max_messages_per_second = 50;
  std::chrono::seconds handshake_timeout{10};  // HTTP request and WebSocket upgrade
  std::chrono::seconds idle_timeout{60};       // no pong to our pings for this long: dead
  std::size_t max_http_body_bytes = 1u << 20;
  // Private messages replayed per user on connect: a conversation's recent past, cheap to send.
  std::size_t private_replay = 200;
  // Public messages replayed after `since`: a long absence, not a history download.
  std::size_t max_replay = 5000;
  // Open connections per user (0: no cap): a handful of devices and tabs, not a botnet's worth.
  std::size_t max_connections_per_user = 16;
  // ...and per client address (0: no cap): room for a household or office behind one NAT.
  std::size_t max_connections_per_ip = 256;
};

}  // namespace natter
