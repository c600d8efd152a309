// Who may call a REST route: the caller's `Authorization: Bearer <JWT>` is verified like a
// WebSocket token (same verifier, same unknown-kid refetch). 401 without a good token, 403
// without the admin role where the route needs it, 503 when no keys can be had. With
// NATTER_API_INSECURE a request without an Authorization header is served as an admin's; one
// with a token is checked as always.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <string>
#include <variant>

#include "api/api.hpp"
#include "auth/identity.hpp"

namespace natter::api {

enum class Role { user, admin };

struct Refusal {
  boost::beast::http::status status;
  std::string code;
  std::string message;
};

// Who a request without a token is under NATTER_API_INSECURE: an admin, named so in records.
auth::Identity insecure_caller();

boost::asio::awaitable<std::variant<auth::Identity, Refusal>> authenticate(
    net::ServerContext& context, const Request& request, Role needed);

}  // namespace natter::api
