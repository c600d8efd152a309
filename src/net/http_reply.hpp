// The HTTP messages every listener speaks, and the JSON answers they give: a body with its
// status, 204, and errors as {"error":{"code","message"}} (docs/protocol.md).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <string_view>

namespace natter::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

Response json_response(const Request& request, boost::beast::http::status status,
                       const boost::json::value& body);
Response no_content(const Request& request);
Response error_response(const Request& request, boost::beast::http::status status,
                        std::string_view code, std::string_view message);

}  // namespace natter::net
