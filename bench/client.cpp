// The Beast side of natter-bench's WebSocket connections.
#include "client.hpp"

#include <netinet/in.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <stdexcept>

namespace natter::bench {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Target parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "ws") {
    throw std::invalid_argument("--url must be a ws:// URL, got " + url);
  }
  Target target{std::string(parsed->host()),
                parsed->has_port() ? std::string(parsed->port()) : "80",
                std::string(parsed->encoded_path()),
                {}};
  if (target.path.empty()) target.path = "/";
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(target.host, target.port);
  if (results.empty()) throw std::invalid_argument("cannot resolve " + target.host);
  target.endpoint = results.begin()->endpoint();
  return target;
}

struct WsClient::Impl {
  explicit Impl(asio::any_io_executor executor) : ws(std::move(executor)) {}
  websocket::stream<tcp::socket> ws;
  beast::flat_buffer buffer;
};

WsClient::WsClient(asio::any_io_executor executor)
    : impl_(std::make_unique<Impl>(std::move(executor))) {}

WsClient::~WsClient() = default;

asio::awaitable<std::string> WsClient::open(const Target& target, const std::string& token,
                                            const asio::ip::address& source) {
  auto& socket = impl_->ws.next_layer();
  boost::system::error_code ec;
  socket.open(target.endpoint.protocol(), ec);
  if (ec) co_return "socket: " + ec.message();
  if (!source.is_unspecified()) {
    socket.set_option(
        asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>(true), ec);
    socket.bind(tcp::endpoint(source, 0), ec);
    if (ec) co_return "bind: " + ec.message();
  }
  auto [connect_ec] =
      co_await socket.async_connect(target.endpoint, asio::as_tuple(asio::use_awaitable));
  if (connect_ec) co_return "tcp: " + connect_ec.message();
  socket.set_option(tcp::no_delay(true), ec);

  auto& ws = impl_->ws;
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = std::chrono::seconds(20);
  timeout.idle_timeout = websocket::stream_base::none();
  timeout.keep_alive_pings = false;
  ws.set_option(timeout);
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(beast::http::field::user_agent, "natter-bench");
  }));
  ws.read_message_max(64u << 20);
  ws.auto_fragment(false);
  websocket::response_type response;
  auto [handshake_ec] = co_await ws.async_handshake(response, target.host + ":" + target.port,
                                                    target.path + "?token=" + token,
                                                    asio::as_tuple(asio::use_awaitable));
  if (handshake_ec) {
    ended_ = true;
    if (handshake_ec == websocket::error::upgrade_declined) {
      co_return "http_" + std::to_string(response.result_int());
    }
    co_return "handshake: " + handshake_ec.message();
  }
  ws.text(true);
  co_return std::string();
}

asio::awaitable<void> WsClient::read_loop(FrameSink& sink) {
  auto& ws = impl_->ws;
  auto& buffer = impl_->buffer;
  for (;;) {
    auto [ec, bytes] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      ended_ = true;
      if (ec == websocket::error::closed) {
        if (!closing_) server_close_code_ = ws.reason().code;
      } else if (!closing_) {
        end_reason_ = ec.message();
      }
      co_return;
    }
    const std::int64_t now = steady_ns();
    sink.on_frame(std::string_view(static_cast<const char*>(buffer.data().data()), bytes), now);
    buffer.consume(bytes);
  }
}

asio::awaitable<bool> WsClient::send(std::string_view text) {
  if (ended_ || closing_) co_return false;
  auto [ec, written] = co_await impl_->ws.async_write(asio::buffer(text.data(), text.size()),
                                                      asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

asio::awaitable<void> WsClient::close() {
  if (ended_ || closing_) co_return;
  closing_ = true;
  auto [ec] = co_await impl_->ws.async_close(websocket::close_code::normal,
                                             asio::as_tuple(asio::use_awaitable));
  if (ec) {
    boost::system::error_code ignored;
    impl_->ws.next_layer().close(ignored);
  }
}

}  // namespace natter::bench
