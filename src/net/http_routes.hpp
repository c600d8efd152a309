// The routes another component serves on natter's listener (the REST API, registered by main):
// net/ offers each plain HTTP request to them before its own routes, and knows nothing more of
// them.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "net/http_reply.hpp"

namespace natter::net {

class HttpRoutes {
 public:
  virtual ~HttpRoutes() = default;
  // The response for one of these routes, or nullopt when the path is not one of them.
  virtual boost::asio::awaitable<std::optional<Response>> serve(const Request& request) = 0;
};

}  // namespace natter::net
