// One authenticated WebSocket connection: reads client messages into the hub, writes what the
// hub queues for it. Lives on one shard for its whole life, so its state needs no lock.
// Beast does the HTTP upgrade; after it, the session speaks RFC 6455 itself on the raw socket.
// Single writer: a bounded queue of whole shared frames (pongs, pings and the close frame
// included), one gathered write in flight that drains all that is queued; a client that falls
// too far behind is closed with 4008 from its own executor, never inside the hub's fan-out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/identity.hpp"
#include "chat/client_session.hpp"
#include "chat/connection.hpp"
#include "chat/hub.hpp"
#include "net/websocket_services.hpp"
#include "net/ws_reader.hpp"

namespace natter::net {

class WebSocketSession final : public chat::Connection,
                               public chat::ClientSession::Link,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  // `early_bytes`: what the client sent after its upgrade request, read with it.
  WebSocketSession(const WebSocketServices& services, boost::asio::ip::tcp::socket socket,
                   std::string_view early_bytes, chat::Participant participant,
                   auth::Identity identity, std::string remote);

  // Completes the upgrade (then drops the request), joins the hub, and runs until the
  // connection ends. `older`: replayed public messages the cache no longer held (store);
  // `older_truncated`: the replay bound left out older ones.
  boost::asio::awaitable<void> run(
      boost::beast::http::request<boost::beast::http::string_body> request,
      std::optional<std::int64_t> since, std::vector<chat::ChatMessage> older, bool older_truncated,
      bool bearer_subprotocol);

  void send(const chat::Frame& frame) override;
  void close(chat::CloseCode code, std::string_view reason) override;
  void reply(const chat::Frame& frame) override { send(frame); }
  chat::Acceptance::Refuse late_refusal(std::string ref) override;

 private:
  using Clock = std::chrono::steady_clock;

  // Reads and handles frames until the peer closes, the socket fails or is shut.
  boost::asio::awaitable<void> read_loop();
  // Writes what is queued, all of it per write; then the close frame, if one is due.
  boost::asio::awaitable<void> write_loop();
  // One timer for every deadline: keep-alive pings, the idle limit, token expiry (when
  // enforced), and the
  // wait for the peer's close reply.
  boost::asio::awaitable<void> watchdog();
  // Hands a text message to the client session and runs the step it asks for, if any.
  boost::asio::awaitable<void> handle(std::string_view text);
  // Answers a ping: the pong waits beside the queue, and a newer ping replaces it (RFC 6455
  // 5.5.3), so a ping flood costs one small frame per write.
  void queue_pong(std::string_view payload);
  // Queues the close frame (dropping what is queued but not yet written) and starts the
  // bounded wait (the handshake timeout) for the peer's close. `then_fin`: stop sending after it
  // (protocol errors).
  void begin_close(chat::Frame close_frame, bool then_fin);
  // ...and shuts the socket if the close is not done within `wait`.
  void begin_close(chat::Frame close_frame, bool then_fin, Clock::duration wait);
  // Shuts and closes the socket now; every pending operation ends. Idempotent.
  void shut();
  void wake_writer();
  std::size_t queued_frames() const { return queue_.size() - queue_head_; }

  const WebSocketServices& services_;
  boost::asio::ip::tcp::socket socket_;
  auth::Identity identity_;  // as verified at the upgrade (the client session holds its expiry)
  std::string remote_;
  WsReader reader_;
  chat::ClientSession client_;  // what the messages mean
  const chat::Participant& participant_ = client_.participant();

  std::vector<chat::Frame> queue_;  // [queue_head_, end) waits; the rest is being written
  std::size_t queue_head_ = 0;
  std::size_t queued_bytes_ = 0;
  chat::Frame pending_pong_;  // the answer to the latest ping, not yet written
  boost::asio::steady_timer writer_wake_;
  boost::asio::steady_timer watchdog_timer_;
  Clock::time_point connected_at_{};
  Clock::time_point last_received_{};  // the last whole frame (a byte is not a sign of life)
  // When the frame or fragmented message now half-read began; it must end within the idle
  // timeout, so a trickle of bytes cannot hold its buffer.
  std::optional<Clock::time_point> partial_since_;
  Clock::time_point last_ping_{};
  std::optional<Clock::time_point> close_deadline_;
  std::optional<chat::CloseCode> close_code_;  // ours, for 4008 and every close we start
  std::string close_reason_;
  chat::Frame close_frame_;  // ours, or the echo of the peer's; the last thing written
  bool close_sent_ = false;
  bool fin_after_close_ = false;
  bool peer_closed_ = false;  // its close frame arrived
  bool socket_shut_ = false;
  bool reading_done_ = false;
};

}  // namespace natter::net
