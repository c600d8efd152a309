// One accepted TCP connection before (or instead of) a WebSocket: reads HTTP requests, serves
// the plain routes (/healthz, /discovery, /dev/token), and turns an authenticated GET /ws
// into a WebSocketSession on the same shard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>

#include "net/http_routes.hpp"
#include "net/server_context.hpp"

namespace natter::net {

// `routes` (the REST API) is offered every plain HTTP request before the routes of net/.
boost::asio::awaitable<void> serve_http(ServerContext& context, HttpRoutes& routes,
                                        std::size_t shard, boost::asio::ip::tcp::socket socket);

}  // namespace natter::net
