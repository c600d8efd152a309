// Token extraction and verification for the WebSocket upgrade.
#include "net/upgrade_auth.hpp"

#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <boost/url.hpp>
#include <charconv>

#include "net/token_check.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// The largest `since` taken: cacheIDs are JSON numbers, which clients hold exactly only up to
// 2^53 - 1, and natter never numbers that far; anything above is not a cacheID.
constexpr std::int64_t kMaxSince = (std::int64_t{1} << 53) - 1;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

UpgradeDecision refuse(http::status status, std::string code, std::string reason) {
  UpgradeDecision d;
  d.status = status;
  d.error_code = std::move(code);
  d.reason = std::move(reason);
  return d;
}

}  // namespace

asio::awaitable<UpgradeDecision> authorize_upgrade(
    ServerContext& context, const http::request<http::string_body>& request) {
  UpgradeDecision decision;
  std::string token;

  auto url = boost::urls::parse_origin_form(request.target());
  if (!url) co_return refuse(http::status::bad_request, "bad_request", "malformed request target");
  auto params = url->params();
  if (auto it = params.find("token"); it != params.end()) token = std::string((*it).value);
  if (auto it = params.find("since"); it != params.end()) {
    std::string value = (*it).value;
    std::int64_t since = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), since);
    if (ec != std::errc{} || ptr != value.data() + value.size() || since < 0 || since > kMaxSince) {
      co_return refuse(http::status::bad_request, "bad_request", "since must be a cacheID");
    }
    decision.since = since;
  }

  if (token.empty()) {
    if (auto it = request.find(http::field::authorization); it != request.end()) {
      token = std::string(bearer_token(it->value()));
    }
  }
  if (auto it = request.find(http::field::sec_websocket_protocol); it != request.end()) {
    std::string_view value = it->value();
    auto comma = value.find(',');
    if (comma != std::string_view::npos && trim(value.substr(0, comma)) == "bearer") {
      decision.bearer_subprotocol = true;
      if (token.empty()) token = std::string(trim(value.substr(comma + 1)));
    }
  }
  if (token.empty()) co_return refuse(http::status::unauthorized, "unauthorized", "missing token");

  auto result = co_await check_token(context.tokens, token);
  if (!result.ok()) {
    auto refusal = token_refusal(result.error);
    co_return refuse(refusal.status, std::move(refusal.code), std::move(refusal.reason));
  }
  decision.identity = std::move(result.identity);
  co_return decision;
}

}  // namespace natter::net
