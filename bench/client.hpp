// One WebSocket connection to natter, as natter-bench drives it: TCP from a chosen local
// address, the upgrade with `?token=`, a read loop handing every text message to a sink, one
// writer. Knows nothing of scenarios or of what the messages mean; Beast stays in client.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace natter::bench {

namespace asio = boost::asio;

// Where natter listens: ws://HOST:PORT/PATH, resolved once.
struct Target {
  std::string host;
  std::string port;
  std::string path;
  asio::ip::tcp::endpoint endpoint;
};

Target parse_target(const std::string& url);

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // One complete text message; `received_ns` is the steady clock when its read completed.
  virtual void on_frame(std::string_view text, std::int64_t received_ns) = 0;
};

std::int64_t steady_ns();

class WsClient {
 public:
  explicit WsClient(asio::any_io_executor executor);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // TCP connect (from `source` unless it is unspecified) and WebSocket upgrade. Returns an
  // empty string, or why it failed ("tcp: ...", "http_401", "handshake: ...").
  asio::awaitable<std::string> open(const Target& target, const std::string& token,
                                    const asio::ip::address& source);
  // Until the connection ends. Afterwards server_close_code() or end_reason() says why.
  asio::awaitable<void> read_loop(FrameSink& sink);
  // One text message; false when the connection is gone. One send at a time.
  asio::awaitable<bool> send(std::string_view text);
  // Our own close (1000); a no-op when already closed.
  asio::awaitable<void> close();

  bool ended() const { return ended_; }
  bool closing() const { return closing_; }
  int server_close_code() const { return server_close_code_; }  // 0: not closed by natter
  const std::string& end_reason() const { return end_reason_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool ended_ = false;
  bool closing_ = false;
  int server_close_code_ = 0;
  std::string end_reason_;
};

}  // namespace natter::bench
