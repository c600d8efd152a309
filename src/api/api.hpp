// The REST API (PROTOCOL.md section 5): moderation, analytics and settings routes, guarded by
// the identity provider's tokens. net/ hands every plain HTTP request here first.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "net/server_context.hpp"

namespace natter::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The response for an API route, or nullopt when the path is not one of the API's.
boost::asio::awaitable<std::optional<Response>> serve(net::ServerContext& context,
                                                      const Request& request,
                                                      const boost::asio::ip::address& peer);

}  // namespace natter::api
