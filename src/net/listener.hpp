// Listening, for both listeners (chat and API, and the metrics one): where (the HOST of a
// HOST:PORT setting is an IP address or a host name, resolved once at start-up to the first
// address it resolves to), binding, and the accept loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace natter::net {

// Throws std::runtime_error naming `setting` when the host cannot be resolved.
boost::asio::ip::tcp::endpoint listen_endpoint(const char* setting, const std::string& host,
                                               std::uint16_t port);

// Opens, binds and listens; throws std::runtime_error naming `setting` when it cannot.
void listen_on(boost::asio::ip::tcp::acceptor& acceptor, const char* setting,
               const std::string& host, std::uint16_t port, int backlog);

// Where an accepted connection lives: the io_context its socket is made on, and its index.
struct Placement {
  boost::asio::io_context& context;
  std::size_t index;
};

// Accepts until the acceptor is closed, each connection placed by `place` and handed to
// `serve`. A failed accept is logged; out of file descriptors, it waits 100 ms, not spinning.
boost::asio::awaitable<void> accept_until_closed(
    boost::asio::ip::tcp::acceptor& acceptor, std::function<Placement()> place,
    std::function<void(boost::asio::ip::tcp::socket, std::size_t index)> serve);

}  // namespace natter::net
