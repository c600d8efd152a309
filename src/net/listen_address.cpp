// Resolving a listen setting's host.
#include "net/listen_address.hpp"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
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

}  // namespace natter::net
