// Bearer-token check and role check for the REST routes.
#include "api/auth_guard.hpp"

#include <boost/beast/http.hpp>

#include "net/token_check.hpp"

namespace natter::api {
namespace http = boost::beast::http;

namespace {

std::string_view bearer_token(const Request& request) {
  auto it = request.find(http::field::authorization);
  return it == request.end() ? std::string_view() : net::bearer_token(it->value());
}

}  // namespace

auth::Identity insecure_caller() {
  return auth::Identity{"natter-api-insecure", "natter-api-insecure", "", true,
                        std::chrono::system_clock::time_point::max()};
}

boost::asio::awaitable<std::variant<auth::Identity, Refusal>> authenticate(
    net::ServerContext& context, const Request& request, Role needed) {
  const auto token = bearer_token(request);
  if (token.empty() && context.settings.api_insecure &&
      request.find(http::field::authorization) == request.end()) {
    // NATTER_API_INSECURE: no token is an admin (OnRabble's dashboard sends none).
    co_return insecure_caller();
  }
  if (token.empty()) {
    co_return Refusal{http::status::unauthorized, "unauthorized",
                      "an Authorization: Bearer token is required"};
  }
  auto result = co_await net::check_token(context.tokens, token);
  if (!result.ok()) {
    auto refusal = net::token_refusal(result.error);
    co_return Refusal{refusal.status, std::move(refusal.code), std::move(refusal.reason)};
  }
  if (needed == Role::admin && !result.identity->admin) {
    co_return Refusal{http::status::forbidden, "forbidden", "this route needs the admin role"};
  }
  co_return std::move(*result.identity);
}

}  // namespace natter::api
