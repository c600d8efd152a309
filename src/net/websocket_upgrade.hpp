// GET /ws with an upgrade: refused (shutting down, a malformed key, no good token, admission's
// refusals) with its status, metric and log event, or handed to a WebSocketSession on the same
// shard. Every refusal closes the connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>

#include "net/http_reply.hpp"
#include "net/request_origin.hpp"
#include "net/server_context.hpp"

namespace natter::net {

// `buffer` holds what the client sent after the request (read with it).
boost::asio::awaitable<void> upgrade_to_websocket(ServerContext& context, std::size_t shard,
                                                  boost::beast::tcp_stream& stream,
                                                  const boost::beast::flat_buffer& buffer,
                                                  Request request, const RequestOrigin& origin);

}  // namespace natter::net
