// The REST API (PROTOCOL.md section 5): moderation, analytics and settings routes, guarded by
// the identity provider's tokens. Registered with net/ as its HttpRoutes: every plain HTTP
// request is offered here first.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "net/http_reply.hpp"
#include "net/http_routes.hpp"
#include "net/server_context.hpp"

namespace natter::api {

using net::Request;
using net::Response;

class RestApi final : public net::HttpRoutes {
 public:
  explicit RestApi(net::ServerContext& context) : context_(context) {}
  boost::asio::awaitable<std::optional<Response>> serve(const Request& request) override;

 private:
  net::ServerContext& context_;
};

}  // namespace natter::api
