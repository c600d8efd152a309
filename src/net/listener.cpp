// Resolving a listen setting's host, binding, and accepting.
#include "net/listener.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <stdexcept>

namespace natter::net {
namespace asio = boost::asio;
using asio::ip::tcp;

tcp::endpoint listen_endpoint(const char* setting, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  if (auto address = asio::ip::make_address(host, ec); !ec) return {address, port};
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(fmt::format("{}: cannot resolve '{}': {}", setting, host,
                                         ec ? ec.message() : "no address"));
  }
  // The first IPv4 address when there is one (localhost resolves to ::1 and 127.0.0.1).
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v4()) return entry.endpoint();
  }
  return results.begin()->endpoint();
}

void listen_on(tcp::acceptor& acceptor, const char* setting, const std::string& host,
               std::uint16_t port, int backlog) {
  const tcp::endpoint endpoint = listen_endpoint(setting, host, port);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(backlog, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("{}: cannot listen on {}:{}: {}", setting, host, port, ec.message()));
  }
}

asio::awaitable<void> accept_until_closed(tcp::acceptor& acceptor, std::function<Placement()> place,
                                          std::function<void(tcp::socket, std::size_t)> serve) {
  for (;;) {
    const Placement where = place();
    auto [ec, accepted] =
        co_await acceptor.async_accept(where.context, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (!ec) {
      serve(std::move(accepted), where.index);
      continue;
    }
    boost::system::error_code ignored;
    spdlog::warn("accept failed on port {}: {}", acceptor.local_endpoint(ignored).port(),
                 ec.message());
    if (ec == asio::error::no_descriptors) {
      asio::steady_timer backoff(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

}  // namespace natter::net
