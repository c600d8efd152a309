// Where to listen: the HOST of a HOST:PORT setting is an IP address or a host name, resolved
// once at start-up (the first address it resolves to). Used by both listeners.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

namespace natter::net {

// Throws std::runtime_error naming `setting` when the host cannot be resolved.
boost::asio::ip::tcp::endpoint listen_endpoint(const char* setting, const std::string& host,
                                               std::uint16_t port);

}  // namespace natter::net
