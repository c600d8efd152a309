// Token verification with the unknown-kid refetch, shared by the upgrade and the REST API.
#include "net/token_check.hpp"

#include <boost/asio.hpp>
#include <cctype>
#include <chrono>
#include <memory>

namespace natter::net {
namespace asio = boost::asio;

namespace {

// Waits for a JWKS refetch without blocking the shard: the JWKS thread's answer is posted
// back to this coroutine's executor.
asio::awaitable<bool> refetch_keys(auth::JwksClient& jwks) {
  auto executor = co_await asio::this_coro::executor;
  // Named, not a temporary in the co_await: see net/worker_call.hpp.
  auto initiation = [&jwks, executor](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    jwks.refetch([shared, executor](bool fetched) {
      asio::post(executor, [shared, fetched]() mutable { (*shared)(fetched); });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
      std::move(initiation), asio::use_awaitable);
}

}  // namespace

asio::awaitable<auth::VerifyResult> check_token(const TokenSource& source, std::string_view token) {
  auto result = source.verifier.verify(token, std::chrono::system_clock::now());
  // An unknown kid may be a rotated key; no keys at all may be a first fetch still under way.
  if (!result.ok() && source.jwks &&
      (result.error == auth::TokenError::unknown_key ||
       result.error == auth::TokenError::keys_unavailable)) {
    if (co_await refetch_keys(*source.jwks)) {
      result = source.verifier.verify(token, std::chrono::system_clock::now());
    }
  }
  co_return result;
}

std::string_view bearer_token(std::string_view value) {
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

TokenRefusal token_refusal(auth::TokenError error) {
  namespace http = boost::beast::http;
  if (error == auth::TokenError::keys_unavailable) {
    return {http::status::service_unavailable, "unavailable", "identity provider unreachable"};
  }
  return {http::status::unauthorized, "unauthorized", std::string(auth::describe(error))};
}

}  // namespace natter::net
