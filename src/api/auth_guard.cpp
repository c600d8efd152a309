// Bearer-token check and role check for the REST routes.
#include "api/auth_guard.hpp"

#include <boost/beast/http.hpp>

#include "net/token_check.hpp"

namespace natter::api {
namespace http = boost::beast::http;

namespace {

// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or empty.
std::string_view bearer_token(const Request& request) {
  auto it = request.find(http::field::authorization);
  if (it == request.end()) return {};
  std::string_view value = it->value();
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
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
  auto result = co_await net::check_token(context, token);
  if (!result.ok()) {
    if (result.error == auth::TokenError::keys_unavailable) {
      co_return Refusal{http::status::service_unavailable, "unavailable",
                        "identity provider unreachable"};
    }
    co_return Refusal{http::status::unauthorized, "unauthorized",
                      std::string(auth::describe(result.error))};
  }
  if (needed == Role::admin && !result.identity->admin) {
    co_return Refusal{http::status::forbidden, "forbidden", "this route needs the admin role"};
  }
  co_return std::move(*result.identity);
}

}  // namespace natter::api
