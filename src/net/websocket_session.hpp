// One authenticated WebSocket connection: reads client messages into the hub, writes what the
// hub queues for it. Lives on one shard for its whole life, so its state needs no lock.
// Single writer: a bounded queue of shared frames, one write in flight; a client that falls
// too far behind is closed with 4008 from its own executor, never inside the hub's fan-out.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "auth/identity.hpp"
#include "chat/connection.hpp"
#include "chat/hub.hpp"
#include "net/server_context.hpp"

namespace natter::net {

class WebSocketSession final : public chat::Connection,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  WebSocketSession(ServerContext& context, Stream stream, chat::Participant participant,
                   auth::Identity identity, std::string remote);

  // Completes the upgrade, joins the hub, and runs until the connection ends.
  // `older`: replayed public messages the cache no longer held (read from the store).
  boost::asio::awaitable<void> run(
      boost::beast::http::request<boost::beast::http::string_body> request,
      std::optional<std::int64_t> since, std::vector<chat::ChatMessage> older,
      bool bearer_subprotocol);

  void send(const chat::Frame& frame) override;
  void close(chat::CloseCode code, std::string_view reason) override;

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watch_expiry();
  boost::asio::awaitable<void> force_close_after(std::chrono::seconds delay);
  boost::asio::awaitable<void> handle(std::string_view text);
  boost::asio::awaitable<std::optional<chat::ProtocolError>> post_private(
      const chat::PrivateRequest& request, const std::string& ref);
  chat::CommitQueue::Refuse late_refusal(const std::string& ref);
  void refresh_token(const std::string& token, std::string_view ref);
  void reply(const chat::Frame& frame);
  void refuse(const chat::ProtocolError& error, std::string_view ref);
  void wake_writer();

  ServerContext& context_;
  Stream ws_;
  chat::Participant participant_;
  auth::Identity identity_;
  std::string remote_;

  std::deque<chat::Frame> queue_;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer writer_wake_;
  boost::asio::steady_timer expiry_;
  std::optional<chat::CloseCode> close_code_;
  std::string close_reason_;
  bool reading_done_ = false;
  bool joined_ = false;
  std::optional<std::int64_t> store_session_id_;
};

}  // namespace natter::net
