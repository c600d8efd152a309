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

#include "api/api.hpp"
#include "api/http_json.hpp"
#include "api/store_call.hpp"
#include "common/build_info.hpp"
#include "common/log_event.hpp"
#include "net/forwarded.hpp"
#include "net/metrics_endpoint.hpp"
#include "net/upgrade_auth.hpp"
#include "net/websocket_session.hpp"
#include "net/worker_call.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::use_awaitable;

namespace {

using api::error_response;
using api::json_response;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

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

// Where a request came from: the client (through trusted proxies) and how it reached us.
struct Origin {
  asio::ip::address client;
  std::string scheme;              // "http", or what a trusted proxy's X-Forwarded-Proto says
  std::string description;         // for logs: "1.2.3.4:5678", or "1.2.3.4 (via 10.0.0.2:5678)"
  bool untrusted_forward = false;  // X-Forwarded-For from a peer we do not trust (ignored)
};

Origin origin_of(const ServerContext& context, const Request& request,
                 const asio::ip::tcp::endpoint& peer) {
  std::string forwarded_for;
  for (auto [it, end] = request.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!forwarded_for.empty()) forwarded_for += ',';
    forwarded_for += it->value();
  }
  const auto& proxies = context.trusted_proxies;
  const bool trusted = !forwarded_for.empty() && proxies.contains(peer.address());
  Origin origin;
  origin.client = client_address(proxies, peer.address(), forwarded_for);
  origin.scheme =
      forwarded_proto(proxies, peer.address(), request["X-Forwarded-Proto"]).value_or("http");
  const auto peer_text = fmt::format("{}:{}", peer.address().to_string(), peer.port());
  origin.description =
      trusted ? fmt::format("{} (via {})", origin.client.to_string(), peer_text) : peer_text;
  origin.untrusted_forward = !forwarded_for.empty() && !trusted;
  return origin;
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
    auto probe = [&context] { return context.store.channels(); };
    auto answer =
        co_await api::call_store(context.workers, context.metrics, std::move(probe),
                                 std::chrono::seconds(2), metrics::StoreCaller::readiness);
    if (!answer) (context.bus ? degraded : reasons).emplace_back("store_unavailable");
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

// RFC 6455 4.2.1: the key is the base64 of 16 bytes: 22 characters, the last of them holding
// two bits, then "==".
bool valid_websocket_key(std::string_view key) {
  auto base64 = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  if (key.size() != 24 || key.substr(22) != "==") return false;
  if (!std::all_of(key.begin(), key.begin() + 21, base64)) return false;
  return key[21] == 'A' || key[21] == 'Q' || key[21] == 'g' || key[21] == 'w';
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

struct StoredReplay {
  std::vector<chat::ChatMessage> messages;  // oldest first
  bool truncated = false;                   // older ones after `since` were left out
};

// The public messages after `since` that a reconnect replay needs from the store, the cache
// holding those from `oldest_cached` (0: none) to `newest_cached`: read in pages, oldest first,
// up to where the cache takes over. cacheIDs count up by one (gaps only where messages were
// deleted), so starting at `max_replay` before the newest bounds the read.
Result<StoredReplay> read_replay(chat::Store& store, std::int64_t since, std::int64_t oldest_cached,
                                 std::int64_t newest_cached, std::size_t max_replay) {
  constexpr std::int64_t kPage = 500;
  std::int64_t newest = newest_cached;
  if (newest == 0) {
    auto ids = store.stored_ids();
    if (!ids) return ids.error();
    newest = ids->max_public_cache_id;
  }
  StoredReplay replay;
  const auto bound = static_cast<std::int64_t>(max_replay);
  std::int64_t after = since;
  if (newest - since > bound) {
    after = newest - bound;
    replay.truncated = true;
  }
  while (replay.messages.size() < max_replay) {
    auto page = store.public_after(after, kPage);
    if (!page) return page.error();
    if (page->empty()) break;
    after = page->back().cache_id;
    replay.messages.insert(replay.messages.end(), std::make_move_iterator(page->begin()),
                           std::make_move_iterator(page->end()));
    if (static_cast<std::int64_t>(page->size()) < kPage) break;
    if (oldest_cached != 0 && after >= oldest_cached - 1) break;
  }
  return replay;
}

metrics::ConnectRefusal refusal_of(const UpgradeDecision& decision) {
  if (decision.error_code == "bad_request") return metrics::ConnectRefusal::bad_request;
  if (decision.error_code == "unavailable") return metrics::ConnectRefusal::keys_unavailable;
  return metrics::ConnectRefusal::unauthorized;
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

Response route(const ServerContext& context, const Request& request, const Origin& origin) {
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

asio::awaitable<void> serve_http(ServerContext& context, std::size_t shard,
                                 asio::ip::tcp::socket socket) {
  beast::error_code ignored;
  const auto endpoint = socket.remote_endpoint(ignored);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  const auto& limits = context.settings.limits;

  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits.max_http_body_bytes);
    parser.header_limit(16 * 1024);
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
    const Origin origin = origin_of(context, request, endpoint);
    const std::string& remote = origin.description;

    if (is_ws_path && beast::websocket::is_upgrade(request)) {
      spdlog::debug("upgrade {} from {}", redact_target(target), remote);
      if (context.shutting_down) {
        context.metrics.connect_refused(metrics::ConnectRefusal::shutting_down);
        auto res = error_response(request, http::status::service_unavailable, "unavailable",
                                  "server shutting down");
        res.keep_alive(false);
        co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
        co_return;
      }
      if (!valid_websocket_key(request[http::field::sec_websocket_key])) {
        context.metrics.connect_refused(metrics::ConnectRefusal::bad_request);
        log_event(spdlog::level::info, "refused",
                  {{"code", 400}, {"reason", "invalid Sec-WebSocket-Key"}, {"remote", remote}});
        auto res = error_response(request, http::status::bad_request, "bad_request",
                                  "Sec-WebSocket-Key must be the base64 of 16 bytes");
        res.keep_alive(false);
        co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
        co_return;
      }
      auto decision = co_await authorize_upgrade(context, request);
      if (!decision.identity) {
        context.metrics.connect_refused(refusal_of(decision));
        log_event(spdlog::level::info, "refused",
                  {{"code", static_cast<int>(decision.status)},
                   {"reason", decision.reason},
                   {"remote", remote}});
        auto res = error_response(request, decision.status, decision.error_code, decision.reason);
        res.keep_alive(false);
        co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
        co_return;
      }
      auth::Identity identity = std::move(*decision.identity);
      auto ban_query = [&context, id = identity.subject] {
        return context.moderation.active_ban(id);
      };
      auto ban = co_await on_worker(context.workers, std::move(ban_query));
      if (!ban || !*ban || **ban) {
        const bool banned = ban && *ban && **ban;
        context.metrics.connect_refused(banned ? metrics::ConnectRefusal::banned
                                               : metrics::ConnectRefusal::store_unavailable);
        auto res = banned ? error_response(request, http::status::forbidden, "banned",
                                           chat::describe_ban(***ban))
                          : error_response(request, http::status::service_unavailable,
                                           "unavailable", "the store is unavailable");
        log_event(spdlog::level::info, banned ? "banned" : "refused",
                  {{"code", banned ? 403 : 503},
                   {"user", identity.username},
                   {"sub", identity.subject},
                   {"reason", banned ? chat::describe_ban(***ban) : "store unavailable"},
                   {"remote", remote}});
        res.keep_alive(false);
        co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
        co_return;
      }
      ConnectionCounter::Slot slot;
      const auto full = context.connections.acquire(identity.subject, origin.client,
                                                    limits.max_connections_per_user,
                                                    limits.max_connections_per_ip, slot);
      if (full != ConnectionCounter::Full::no) {
        context.metrics.connect_refused(metrics::ConnectRefusal::too_many_connections);
        const bool by_user = full == ConnectionCounter::Full::user;
        const auto what =
            by_user
                ? fmt::format("{} connections for this user", limits.max_connections_per_user)
                : fmt::format("{} connections from this address", limits.max_connections_per_ip);
        log_event(spdlog::level::info, "refused",
                  {{"code", 429},
                   {"user", identity.username},
                   {"sub", identity.subject},
                   {"reason", "already " + what},
                   {"remote", remote}});
        auto res = error_response(request, http::status::too_many_requests, "too_many_connections",
                                  "already " + what);
        res.keep_alive(false);
        co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
        co_return;
      }
      // The user's private history, read from the store on their first connect since start
      // (the cache starts empty of it after a restart). A store failure only costs the replay.
      if (!identity.subject.empty() && !context.cache.private_warm(identity.subject)) {
        auto history_query = [&context, id = identity.subject] {
          return context.store.recent_private(
              id, static_cast<std::int64_t>(context.settings.limits.private_replay));
        };
        auto stored = co_await on_worker(context.workers, std::move(history_query));
        if (stored && *stored) {
          context.cache.warm_private(identity.subject, **stored);
        } else {
          spdlog::warn("store: could not read the private history of user={} id={}",
                       identity.username, identity.subject);
        }
      }
      StoredReplay older;
      if (decision.since) {
        const auto oldest = context.hub.oldest_cached_public_id();
        if (oldest == 0 || *decision.since < oldest - 1) {
          const auto newest = context.hub.newest_cached_public_id();
          const auto span = static_cast<std::uint64_t>(
              std::clamp<std::int64_t>(newest - *decision.since, 1, limits.max_replay));
          const auto pages = static_cast<std::size_t>((span + 499) / 500);
          auto wait = context.replay_pacer.reserve(pages, limits.handshake_timeout);
          if (!wait) {
            context.metrics.connect_refused(metrics::ConnectRefusal::store_unavailable);
            log_event(spdlog::level::info, "refused",
                      {{"code", 503},
                       {"user", identity.username},
                       {"sub", identity.subject},
                       {"reason", "replays are busy"},
                       {"remote", remote}});
            auto res = error_response(request, http::status::service_unavailable, "unavailable",
                                      "too many replays at once: retry shortly");
            res.set(http::field::retry_after, "2");
            res.keep_alive(false);
            co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
            co_return;
          }
          if (*wait > asio::steady_timer::duration::zero()) {
            asio::steady_timer pause(stream.get_executor(), *wait);
            co_await pause.async_wait(asio::as_tuple(use_awaitable));
          }
          auto replay_query = [&context, since = *decision.since, oldest, newest] {
            return read_replay(context.store, since, oldest, newest,
                               context.settings.limits.max_replay);
          };
          auto stored = co_await on_worker(context.workers, std::move(replay_query));
          if (stored && *stored) older = std::move(**stored);
        }
      }
      chat::Participant participant{context.next_connection_id++, shard, identity.subject,
                                    identity.username,
                                    identity.client_id == context.settings.dashboard_client};
      participant.analytics = participant.dashboard && identity.admin;
      // The session runs on its own, so this coroutine's HTTP buffer, parser and stream are
      // freed now rather than kept for the connection's life.
      const auto executor = stream.get_executor();
      const auto early = buffer.cdata();
      auto session = std::make_shared<WebSocketSession>(
          context, stream.release_socket(),
          std::string_view(static_cast<const char*>(early.data()), early.size()),
          std::move(participant), std::move(identity), remote);
      // The slot lives in the function co_spawn keeps until run() returns: the connection
      // counts until it ends.
      asio::co_spawn(
          executor,
          [session, slot = std::move(slot), request = std::move(request), since = decision.since,
           older = std::move(older.messages), truncated = older.truncated,
           bearer = decision.bearer_subprotocol]() mutable {
            return session->run(std::move(request), since, std::move(older), truncated, bearer);
          },
          asio::detached);
      co_return;
    }

    // /readyz awaits the store, so it is served here rather than by route(). Each co_await
    // initialises a named variable (g++ 12: see net/worker_call.hpp).
    std::optional<Response> api_response;
    if (path == "/readyz") {
      auto ready = co_await readiness(context, request);
      api_response = std::move(ready);
    } else {
      auto served = co_await api::serve(context, request, origin.client);
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
