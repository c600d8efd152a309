// Decides whether a WebSocket upgrade request may become a chat connection: finds the token
// (query, Authorization header, or the `bearer` subprotocol), verifies it (refetching the
// JWKS once for an unknown kid, without blocking the shard), and names the HTTP status of a
// refusal.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>

#include "auth/identity.hpp"
#include "net/server_context.hpp"

namespace natter::net {

struct UpgradeDecision {
  std::optional<auth::Identity> identity;
  boost::beast::http::status status = boost::beast::http::status::ok;  // when refused
  std::string error_code;                                              // when refused
  std::string reason;                                                  // when refused
  std::optional<std::int64_t> since;
  bool bearer_subprotocol = false;
};

boost::asio::awaitable<UpgradeDecision> authorize_upgrade(
    ServerContext& context,
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace natter::net
