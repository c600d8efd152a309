// Fetching tokens from natter's dev issuer and minting them locally.
#include "tokens.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "auth/token_signer.hpp"
#include "options.hpp"

namespace natter::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

TokenSettings read_token_settings(Options& options) {
  TokenSettings s;
  s.token_url = options.text("token-url", "");
  s.signing_key = options.text("signing-key", "");
  s.kid = options.text("kid", "");
  s.issuer = options.text("issuer", "");
  s.audience = options.text("audience", "");
  s.client = options.text("client", s.client);
  s.ttl_seconds = options.integer("token-ttl", s.ttl_seconds);
  s.concurrency = static_cast<int>(options.integer("token-concurrency", s.concurrency));
  if (s.token_url.empty() && s.signing_key.empty()) {
    s.token_url = "http://127.0.0.1:8080/dev/token";
  }
  if (!s.token_url.empty() && !s.signing_key.empty()) {
    throw std::invalid_argument("give either --token-url or --signing-key, not both");
  }
  if (!s.signing_key.empty() && s.kid.empty()) {
    throw std::invalid_argument("--signing-key needs --kid");
  }
  return s;
}

namespace {

std::string subject_of(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) {
    throw std::runtime_error("token is not a compact JWT");
  }
  auto payload =
      auth::base64url_decode(std::string_view(token).substr(first + 1, second - first - 1));
  if (!payload) throw std::runtime_error("token payload is not base64url");
  json::value claims = json::parse(*payload);
  const auto* sub = claims.as_object().if_contains("sub");
  if (!sub || !sub->is_string()) throw std::runtime_error("token has no sub");
  return std::string(sub->as_string());
}

std::vector<UserToken> mint(const TokenSettings& s, const std::vector<std::string>& usernames) {
  std::ifstream file(s.signing_key);
  if (!file) throw std::runtime_error("cannot read --signing-key " + s.signing_key);
  std::stringstream pem;
  pem << file.rdbuf();
  const auto signer = auth::TokenSigner::from_private_pem(pem.str(), s.kid);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<UserToken> out;
  out.reserve(usernames.size());
  for (const auto& name : usernames) {
    json::object claims{{"sub", "bench-" + name},
                        {"preferred_username", name},
                        {"azp", s.client},
                        {"iat", now},
                        {"exp", now + s.ttl_seconds}};
    if (!s.issuer.empty()) claims["iss"] = s.issuer;
    if (!s.audience.empty()) claims["aud"] = s.audience;
    out.push_back({name, "bench-" + name, signer.sign(claims)});
  }
  return out;
}

struct Endpoint {
  std::string host;
  std::string port;
  std::string target;  // path and query, ready for `username=` to be appended
};

Endpoint parse_token_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http") {
    throw std::invalid_argument("--token-url must be an http:// URL, got " + url);
  }
  Endpoint e{std::string(parsed->host()), parsed->has_port() ? std::string(parsed->port()) : "80",
             std::string(parsed->encoded_path())};
  if (e.target.empty()) e.target = "/";
  e.target += parsed->has_query() ? "?" + std::string(parsed->encoded_query()) + "&" : "?";
  return e;
}

// One keep-alive connection fetching the tokens whose index it takes from `next`.
asio::awaitable<void> fetch_worker(const Endpoint& endpoint, const std::vector<std::string>& names,
                                   std::vector<UserToken>& out, std::size_t& next,
                                   std::string& failure) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  const auto addresses =
      co_await resolver.async_resolve(endpoint.host, endpoint.port, asio::use_awaitable);
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  while (failure.empty() && next < names.size()) {
    const std::size_t i = next++;
    if (!stream) {
      stream.emplace(executor);
      stream->expires_after(std::chrono::seconds(10));
      co_await stream->async_connect(addresses, asio::use_awaitable);
      buffer.clear();
    }
    http::request<http::empty_body> request{http::verb::get,
                                            endpoint.target + "username=" + names[i], 11};
    request.set(http::field::host, endpoint.host + ":" + endpoint.port);
    request.keep_alive(true);
    stream->expires_after(std::chrono::seconds(10));
    co_await http::async_write(*stream, request, asio::use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(*stream, buffer, response, asio::use_awaitable);
    if (response.result() != http::status::ok) {
      failure = "GET " + std::string(request.target()) + " answered " +
                std::to_string(response.result_int()) + ": " + response.body().substr(0, 200);
      co_return;
    }
    std::string token = response.body();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    out[i] = UserToken{names[i], subject_of(token), std::move(token)};
    if (!response.keep_alive()) stream.reset();
  }
}

std::vector<UserToken> fetch(const TokenSettings& s, const std::vector<std::string>& usernames) {
  const Endpoint endpoint = parse_token_url(s.token_url);
  std::vector<UserToken> out(usernames.size());
  std::size_t next = 0;
  std::string failure;
  asio::io_context io;
  const int workers = std::max(1, std::min<int>(s.concurrency, static_cast<int>(usernames.size())));
  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(io, fetch_worker(endpoint, usernames, out, next, failure),
                   [&failure](std::exception_ptr e) {
                     if (!e || !failure.empty()) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       failure = std::string("fetching tokens: ") + ex.what();
                     }
                   });
  }
  io.run();
  if (!failure.empty()) throw std::runtime_error(failure + " (is natter running with --dev?)");
  return out;
}

}  // namespace

std::vector<UserToken> obtain_tokens(const TokenSettings& settings,
                                     const std::vector<std::string>& usernames) {
  return settings.token_url.empty() ? mint(settings, usernames) : fetch(settings, usernames);
}

}  // namespace natter::bench
