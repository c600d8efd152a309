// One accepted TCP connection before (or instead of) a WebSocket: reads HTTP requests, serves
// the plain routes (/healthz, /discovery, /dev/token), and turns an authenticated GET /ws
// into a WebSocketSession on the same shard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>

#include "net/server_context.hpp"

namespace natter::net {

boost::asio::awaitable<void> serve_http(ServerContext& context, std::size_t shard,
                                        boost::asio::ip::tcp::socket socket);

}  // namespace natter::net
