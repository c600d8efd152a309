// Plain HTTP routes and the hand-over to WebSocket.
#include "net/http_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include "common/build_info.hpp"
#include "common/limits.hpp"
#include "common/log_event.hpp"
#include "net/forwarded.hpp"
#include "net/http_reply.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/request_origin.hpp"
#include "net/websocket_upgrade.hpp"
#include "net/worker_call.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::use_awaitable;

namespace {

std::string websocket_url(const ServerContext& context, const Request& request,
                          std::string_view scheme) {
  const auto& public_url = context.settings.public_url;
  if (!public_url.empty()) {
    std::string url = public_url;
    if (url.rfind("https://", 0) == 0)
      url = "wss://" + url.substr(8);
    else if (url.rfind("http://", 0) == 0)
      url = "ws://" + url.substr(7);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url + "/ws";
  }
  auto host = request[http::field::host];
  return fmt::format("{}://{}/ws", scheme == "https" ? "wss" : "ws",
                     host.empty() ? "localhost" : std::string_view(host));
}

std::string http_base(const ServerContext& context, const Request& request,
                      std::string_view scheme) {
  std::string url = context.settings.public_url;
  if (url.empty()) {
    auto host = request[http::field::host];
    url = fmt::format("{}://{}", scheme, host.empty() ? "localhost" : std::string_view(host));
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string without_scheme(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

// /discovery in OnRabble's form: its Qt client prepends https:// to auth_url, token_url and
// health_url, so those carry no scheme; health_url is the identity provider's health. Extra
// fields give the same endpoints as full URLs, for clients that want them.
Response discovery(const ServerContext& context, const Request& request, std::string_view scheme) {
  const auto& s = context.settings;
  std::string issuer = s.oidc_issuer;
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
  const std::string base = http_base(context, request, scheme);
  std::string auth_endpoint, token_endpoint;  // full URLs
  std::string auth_url, token_url, health_url;
  if (s.dev) {
    auth_endpoint = token_endpoint = base + "/dev/token";
    auth_url = token_url = without_scheme(auth_endpoint);
    health_url = without_scheme(base + "/healthz");
  } else if (!issuer.empty()) {
    auth_endpoint = issuer + "/protocol/openid-connect/auth";
    token_endpoint = issuer + "/protocol/openid-connect/token";
    // OnRabble: KC_HOSTNAME/realms/REALM_NAME/..., KC_HOSTNAME/health.
    std::string keycloak = without_scheme(s.onrabble_keycloak_host);
    std::string realm_base = without_scheme(issuer);
    if (!keycloak.empty() && !s.onrabble_realm.empty()) {
      realm_base = keycloak + "/realms/" + s.onrabble_realm;
    } else if (keycloak.empty()) {
      const auto realms = realm_base.find("/realms/");
      keycloak = realm_base.substr(0, realms != std::string::npos ? realms : realm_base.find('/'));
    }
    auth_url = realm_base + "/protocol/openid-connect/auth";
    token_url = realm_base + "/protocol/openid-connect/token";
    health_url = keycloak + "/health";
  }
  return json_response(request, http::status::ok,
                       json::object{{"auth_url", auth_url},
                                    {"chat_client", s.chat_client},
                                    {"chat_url", websocket_url(context, request, scheme)},
                                    {"token_url", token_url},
                                    {"health_url", health_url},
                                    {"server_name", s.server_name},
                                    {"server_id", context.server_id},
                                    {"authorization_endpoint", auth_endpoint},
                                    {"token_endpoint", token_endpoint},
                                    {"server_health_url", base + "/healthz"},
                                    {"version", natter::version()},
                                    {"dev", s.dev},
                                    {"oidc_issuer", s.oidc_issuer},
                                    {"web_client_id", s.web_client_id},
                                    {"max_message_bytes", s.limits.max_message_bytes}});
}

bool valid_dev_username(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// Mints a token from natter's own dev key. Only with --dev, only to loopback clients (a
// loopback proxy we do not trust, forwarding for someone, is not one).
Response dev_token(const ServerContext& context, const Request& request,
                   const asio::ip::address& caller, bool untrusted_forward) {
  if (!context.dev_signer || !caller.is_loopback() || untrusted_forward) {
    return error_response(request, http::status::not_found, "not_found", "no such route");
  }
  auto url = boost::urls::parse_origin_form(request.target());
  std::string username, client = context.settings.chat_client;
  bool admin = false;
  std::int64_t ttl = 3600;
  if (url) {
    for (auto param : url->params()) {
      if (param.key == "username")
        username = param.value;
      else if (param.key == "admin")
        admin = param.value == "1" || param.value == "true";
      else if (param.key == "client")
        client = param.value;
      else if (param.key == "ttl")
        ttl = std::clamp<std::int64_t>(std::atoll(param.value.c_str()), 1, 86400);
    }
  }
  if (!valid_dev_username(username) || client.empty() || client.size() > 64) {
    return error_response(request, http::status::bad_request, "bad_request",
                          "username must be 1-64 letters, digits, '_', '-' or '.'");
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  json::object claims{{"iss", context.settings.oidc_issuer.empty() ? std::string("natter-dev")
                                                                   : context.settings.oidc_issuer},
                      {"sub", "dev-" + username},
                      {"preferred_username", username},
                      {"azp", client},
                      {"iat", now},
                      {"exp", now + ttl}};
  if (admin) {
    claims["realm_access"] = json::object{{"roles", json::array{context.settings.admin_role}}};
  }
  Response res{http::status::ok, request.version()};
  res.set(http::field::content_type, "text/plain");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(request.keep_alive());
  res.body() = context.dev_signer->sign(claims);
  res.prepare_payload();
  return res;
}

// Ready: whether a load balancer should send this instance new connections. 503 with the
// reasons when this instance cannot serve chat: it is shutting down (that turns first, so a
// load balancer stops sending before sessions close), it has no verification keys, it is cut
// off from Valkey, or (embedded) its store, which is its message queue, is down. With Valkey
// the store is shared by every instance and chat goes on through Valkey's flush queue, so a
// store outage is reported as `degraded` with 200: dropping every instance at once would help
// nobody. nullopt for a method other than GET/HEAD (route() answers 405).
asio::awaitable<std::optional<Response>> readiness(ServerContext& context, const Request& request) {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    co_return std::nullopt;
  }
  json::array reasons, degraded;
  if (context.shutting_down) reasons.emplace_back("shutting_down");
  if (!context.settings.dev && (!context.keys || !context.keys->loaded())) {
    reasons.emplace_back("keys_not_loaded");
  }
  if (!context.shutting_down) {
    const auto started = std::chrono::steady_clock::now();
    auto probe = [&context] { return context.store.channels(); };
    auto answer = co_await on_worker(context.workers, std::move(probe), std::chrono::seconds(2));
    const bool answered = answer && answer->ok();
    context.metrics.store_call(metrics::StoreCaller::readiness,
                               std::chrono::steady_clock::now() - started, answered);
    if (!answered) (context.bus ? degraded : reasons).emplace_back("store_unavailable");
  }
  if (context.cache_ready && !context.cache_ready()) reasons.emplace_back("cache_unavailable");
  std::optional<Response> res;
  if (reasons.empty()) {
    json::object body{{"status", "ready"}};
    if (!degraded.empty()) body["degraded"] = std::move(degraded);
    res = json_response(request, http::status::ok, std::move(body));
  } else {
    json::object body{{"status", "unready"}, {"reasons", std::move(reasons)}};
    if (!degraded.empty()) body["degraded"] = std::move(degraded);
    res = json_response(request, http::status::service_unavailable, std::move(body));
  }
  co_return res;
}

// The answer to a request Beast could not parse, or nullopt for a connection that just ended
// (closed, timed out, cut short) and is owed nothing. `unread`: the bytes the parser was given.
std::optional<Response> unparsed_request_response(const beast::error_code& ec,
                                                  std::string_view unread) {
  const Request request;
  if (ec == http::error::body_limit) {
    return error_response(request, http::status::payload_too_large, "payload_too_large",
                          "request body too large");
  }
  if (ec == http::error::header_limit) {
    // Cut before the end of the request line: the line (the target) is what is too long.
    if (unread.find("\r\n") == std::string_view::npos) {
      return error_response(request, http::status::uri_too_long, "uri_too_long",
                            "request line too long");
    }
    return error_response(request, http::status::request_header_fields_too_large,
                          "header_too_large", "request header too large");
  }
  if (ec.category() != beast::error_code(http::error::bad_method).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;
  }
  return error_response(request, http::status::bad_request, "bad_request",
                        fmt::format("malformed request: {}", ec.message()));
}

// Reads (and drops) what the client still sends, for 2 s or 16 MiB at most (nginx's lingering
// close), so that closing with unread bytes does not reset the connection before the client
// read our answer: a client that sends a 4 MiB body before reading still sees its 413.
asio::awaitable<void> drain_before_close(beast::tcp_stream& stream) {
  std::array<char, 16384> scratch;
  stream.expires_after(std::chrono::seconds(2));
  for (std::size_t total = 0; total < (16u << 20);) {
    auto [ec, n] =
        co_await stream.async_read_some(asio::buffer(scratch), asio::as_tuple(use_awaitable));
    if (ec) break;
    total += n;
  }
}

web::WebRequest web_request(const Request& request, std::string_view path) {
  return {request.method_string(), path, request[http::field::if_none_match],
          request[http::field::accept_encoding]};
}

// The browser app's reply on the wire; its 404 and 405 carry the API's JSON error body.
Response web_response(const Request& request, web::WebReply reply) {
  Response res;
  if (reply.status == 404) {
    res = error_response(request, http::status::not_found, "not_found", "no such file");
  } else if (reply.status == 405) {
    res = error_response(request, http::status::method_not_allowed, "method_not_allowed",
                         "method not allowed");
  } else {
    res = Response{static_cast<http::status>(reply.status), request.version()};
    res.set(http::field::server, "natter");
    res.keep_alive(request.keep_alive());
    res.body() = std::move(reply.body);
  }
  for (auto& [name, value] : reply.headers) res.set(name, value);
  res.prepare_payload();
  return res;
}

Response route(const ServerContext& context, const Request& request, const RequestOrigin& origin) {
  auto target = request.target();
  auto path = target.substr(0, target.find('?'));
  const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
  auto only_get = [&] {
    auto res = error_response(request, http::status::method_not_allowed, "method_not_allowed",
                              "method not allowed");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  };
  if (path == "/readyz") return only_get();  // GET and HEAD are answered by readiness()
  if (path == "/healthz") {
    if (!get) return only_get();
    return json_response(request, http::status::ok, json::object{{"status", "ok"}});
  }
  if (path == "/discovery") return get ? discovery(context, request, origin.scheme) : only_get();
  if (path == "/metrics" && !context.settings.metrics_listen) {
    return get ? metrics_response(context.metrics, request) : only_get();
  }
  if (path == "/dev/token") {
    return get ? dev_token(context, request, origin.client, origin.untrusted_forward) : only_get();
  }
  if (path == "/ws") {
    return error_response(request, http::status::upgrade_required, "upgrade_required",
                          "this route takes a WebSocket upgrade");
  }
  if (context.web) {
    if (auto reply = context.web->serve(web_request(request, path))) {
      return web_response(request, std::move(*reply));
    }
  }
  return error_response(request, http::status::not_found, "not_found", "no such route");
}

}  // namespace

asio::awaitable<void> serve_http(ServerContext& context, HttpRoutes& routes, std::size_t shard,
                                 asio::ip::tcp::socket socket) {
  beast::error_code ignored;
  const auto endpoint = socket.remote_endpoint(ignored);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  const auto& limits = context.settings.limits;

  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits.max_http_body_bytes);
    parser.header_limit(Limits::http_header_bytes);
    stream.expires_after(limits.handshake_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (ec) {
      const auto unread = buffer.cdata();
      auto answer = unparsed_request_response(
          ec, std::string_view(static_cast<const char*>(unread.data()), unread.size()));
      if (answer) {
        spdlog::debug("http from {}: {} ({})", endpoint.address().to_string(), answer->result_int(),
                      ec.message());
        answer->keep_alive(false);
        co_await http::async_write(stream, *answer, asio::as_tuple(use_awaitable));
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        co_await drain_before_close(stream);
      }
      co_return;
    }
    Request request = parser.release();
    if (request.count(http::field::transfer_encoding) != 0 && !request.chunked()) {
      // RFC 9112 6.3: a request whose last transfer coding is not chunked has no knowable
      // length.
      auto res = error_response(request, http::status::bad_request, "bad_request",
                                "malformed request: chunked must be the last transfer coding");
      res.keep_alive(false);
      co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      co_await drain_before_close(stream);
      co_return;
    }
    auto target = request.target();
    const auto path = target.substr(0, target.find('?'));
    const bool is_ws_path = path == "/ws";
    const RequestOrigin origin = origin_of(context.trusted_proxies, request, endpoint);
    const std::string& remote = origin.description;

    if (is_ws_path && beast::websocket::is_upgrade(request)) {
      co_await upgrade_to_websocket(context, shard, stream, buffer, std::move(request), origin);
      co_return;
    }

    // /readyz awaits the store, so it is served here rather than by route(). Each co_await
    // initialises a named variable (g++ 12: see net/worker_call.hpp).
    std::optional<Response> api_response;
    if (path == "/readyz") {
      auto ready = co_await readiness(context, request);
      api_response = std::move(ready);
    } else {
      auto served = co_await routes.serve(request);
      api_response = std::move(served);
    }
    Response res = api_response ? std::move(*api_response) : route(context, request, origin);
    spdlog::debug("http {} {} from {}: {}", std::string_view(request.method_string()),
                  redact_target(request.target()), remote, res.result_int());
    if (request.method() == http::verb::head) res.body().clear();
    const bool keep_alive = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
    if (wec || !keep_alive) {
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

}  // namespace natter::net
