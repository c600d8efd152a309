// The table of settings (config/options.hpp) and the parsers of its values: numbers and
// their ranges, lists, booleans, durations and HOST:PORT.
#include "config/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>

#include "cache/valkey/valkey_url.hpp"
#include "chat/channel_name.hpp"
#include "net/forwarded.hpp"

namespace natter::config {

std::string env_name(std::string_view flag) {
  std::string env = "NATTER_";
  for (char c : flag) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

[[noreturn]] void bad(std::string_view flag, std::string_view value, std::string_view why) {
  throw ConfigError(
      fmt::format("{} (--{}): invalid value '{}': {}", env_name(flag), flag, value, why));
}

namespace {

std::int64_t to_int(std::string_view flag, const std::string& value, std::int64_t min,
                    std::int64_t max) {
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc{} || ptr != value.data() + value.size()) bad(flag, value, "not a number");
  if (out < min || out > max) bad(flag, value, fmt::format("must be {}..{}", min, max));
  return out;
}

std::vector<std::string> to_list(const std::string& value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    std::string item = value.substr(start, end - start);
    auto first = item.find_first_not_of(" \t");
    auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
    start = end + 1;
  }
  return out;
}

bool to_bool(std::string_view flag, const std::string& value) {
  if (value == "1" || value == "true" || value == "yes") return true;
  if (value == "0" || value == "false" || value == "no" || value.empty()) return false;
  bad(flag, value, "expected true or false");
}

std::chrono::seconds to_seconds(std::string_view flag, const std::string& value, int min = 1) {
  return std::chrono::seconds(to_int(flag, value, min, std::int64_t{86400} * 365));
}

// HOST:PORT, the host an IP address (IPv6 in brackets or not), the port 0..65535.
std::pair<std::string, std::uint16_t> to_host_port(std::string_view flag, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) bad(flag, v, "expected HOST:PORT");
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, static_cast<std::uint16_t>(to_int(flag, v.substr(colon + 1), 0, 65535))};
}

}  // namespace

const std::vector<Option>& options() {
  static const std::vector<Option> all = {
      {"listen", "0.0.0.0:8080", "address and port to serve HTTP and WebSocket on",
       [](Settings& s, const std::string& v) {
         std::tie(s.listen_host, s.listen_port) = to_host_port("listen", v);
       }},
      {"metrics-listen", "",
       "address and port to serve /metrics on, alone; default: on --listen beside the rest",
       [](Settings& s, const std::string& v) {
         s.metrics_listen.reset();
         if (!v.empty()) s.metrics_listen = to_host_port("metrics-listen", v);
       }},
      {"database-url", "sqlite:natter.db",
       "where messages last: sqlite:PATH, sqlite::memory:, or postgres://USER@HOST/DB",
       [](Settings& s, const std::string& v) {
         if (v.rfind("sqlite:", 0) != 0 && v.rfind("postgres://", 0) != 0 &&
             v.rfind("postgresql://", 0) != 0 && v != "memory:") {
           bad("database-url", v, "expected sqlite:PATH or postgres://...");
         }
         s.database_url = v;
       }},
      {"valkey-url", "",
       "Valkey/Redis for the cache, rate limits and several instances: redis://HOST[:PORT][/DB]",
       [](Settings& s, const std::string& v) {
         std::string why;
         if (!v.empty() && !cache::parse_valkey_url(v, why)) {
           bad("valkey-url", redact_url(v), why);
         }
         s.valkey_url = v;
       }},
      {"presence-timeout", "15",
       "seconds after which a silent instance's users leave presence (with Valkey)",
       [](Settings& s, const std::string& v) {
         s.presence_timeout = to_seconds("presence-timeout", v);
       }},
      {"valkey-pipeline", "1024", "most Valkey commands sent in one round trip",
       [](Settings& s, const std::string& v) {
         s.valkey_pipeline = static_cast<std::size_t>(to_int("valkey-pipeline", v, 1, 65536));
       }},
      {"store-threads", "4", "threads running store calls off the IO threads",
       [](Settings& s, const std::string& v) {
         s.store_threads = static_cast<std::size_t>(to_int("store-threads", v, 1, 64));
       }},
      {"jwks-url", "", "the identity provider's JWKS URL (else found through --oidc-issuer)",
       [](Settings& s, const std::string& v) { s.jwks_url = v; }},
      {"oidc-issuer", "",
       "OIDC issuer URL: checked against `iss`, and its discovery gives the JWKS",
       [](Settings& s, const std::string& v) { s.oidc_issuer = v; }},
      {"audience", "", "comma list; a token's aud (or azp) must hold one of them",
       [](Settings& s, const std::string& v) { s.audiences = to_list(v); }},
      {"allowed-clients", "", "comma list of OAuth client ids (azp) allowed to connect",
       [](Settings& s, const std::string& v) { s.allowed_clients = to_list(v); }},
      {"dashboard-client", "WebClient", "client id of the admin dashboard (no presence)",
       [](Settings& s, const std::string& v) { s.dashboard_client = v; }},
      {"chat-client", "ChatClient", "client id of the chat client (named in /discovery)",
       [](Settings& s, const std::string& v) { s.chat_client = v; }},
      {"admin-role", "admin", "role that grants admin rights",
       [](Settings& s, const std::string& v) { s.admin_role = v; }},
      {"role-claim", "realm_access.roles", "dotted path of the token claim listing roles",
       [](Settings& s, const std::string& v) { s.role_claim = v; }},
      {"channels", "general", "comma list of channels to start with",
       [](Settings& s, const std::string& v) {
         s.channels = to_list(v);
         if (s.channels.empty()) bad("channels", v, "at least one channel is needed");
         for (std::size_t i = 0; i < s.channels.size(); ++i) {
           if (s.channels[i].size() > Limits::channel_name_bytes) {
             bad("channels", v,
                 fmt::format("a channel name is longer than {} bytes", Limits::channel_name_bytes));
           }
           for (std::size_t j = 0; j < i; ++j) {
             if (chat::same_channel_name(s.channels[i], s.channels[j])) {
               bad("channels", v, "two channel names differ only by case");
             }
           }
         }
       }},
      {"max-message-bytes", "4096", "longest chat message text, in bytes",
       [](Settings& s, const std::string& v) {
         s.limits.max_message_bytes =
             static_cast<std::size_t>(to_int("max-message-bytes", v, 1, 1 << 20));
       }},
      {"max-frame-bytes", "65536", "largest WebSocket message; bigger closes with 1009",
       [](Settings& s, const std::string& v) {
         s.limits.max_frame_bytes =
             static_cast<std::size_t>(to_int("max-frame-bytes", v, 256, 16 << 20));
       }},
      {"rate-limit", "10/60", "messages per window seconds per user, as N/SECONDS",
       [](Settings& s, const std::string& v) {
         auto slash = v.find('/');
         if (slash == std::string::npos) bad("rate-limit", v, "expected N/SECONDS");
         s.rate_limit_messages = to_int("rate-limit", v.substr(0, slash), 1, 1000000);
         s.rate_limit_window_seconds = to_int("rate-limit", v.substr(slash + 1), 1, 86400);
       }},
      {"send-queue-messages", "1024", "frames queued for one client before it is closed (4008)",
       [](Settings& s, const std::string& v) {
         s.limits.send_queue_messages =
             static_cast<std::size_t>(to_int("send-queue-messages", v, 1, 1 << 20));
       }},
      {"send-queue-bytes", "8388608", "bytes queued for one client before it is closed (4008)",
       [](Settings& s, const std::string& v) {
         s.limits.send_queue_bytes =
             static_cast<std::size_t>(to_int("send-queue-bytes", v, 1024, std::int64_t{1} << 32));
       }},
      {"max-messages-per-second", "50",
       "client frames (messages, pings, pongs) read per second per connection",
       [](Settings& s, const std::string& v) {
         s.limits.max_messages_per_second =
             static_cast<std::size_t>(to_int("max-messages-per-second", v, 1, 1000000));
       }},
      {"max-replay", "5000",
       "most public messages replayed to a client reconnecting with ?since= (newest kept)",
       [](Settings& s, const std::string& v) {
         s.limits.max_replay = static_cast<std::size_t>(to_int("max-replay", v, 1, 1000000));
       }},
      {"max-connections-per-user", "16",
       "open WebSocket connections one user may hold (more: 429 at the upgrade); 0: no cap",
       [](Settings& s, const std::string& v) {
         s.limits.max_connections_per_user =
             static_cast<std::size_t>(to_int("max-connections-per-user", v, 0, 1000000));
       }},
      {"max-connections-per-ip", "256",
       "open WebSocket connections from one client address, as trusted proxies forward it "
       "(more: 429 at the upgrade); 0: no cap",
       [](Settings& s, const std::string& v) {
         s.limits.max_connections_per_ip =
             static_cast<std::size_t>(to_int("max-connections-per-ip", v, 0, 10000000));
       }},
      {"max-body-bytes", "1048576", "largest REST request body; bigger is refused with 413",
       [](Settings& s, const std::string& v) {
         s.limits.max_http_body_bytes =
             static_cast<std::size_t>(to_int("max-body-bytes", v, 1024, 64 << 20));
       }},
      {"cors-origins", "",
       "comma list of browser origins allowed to call the REST API (\"*\": any); default none",
       [](Settings& s, const std::string& v) {
         s.cors_origins = to_list(v);
         for (auto& origin : s.cors_origins) {
           if (origin != "*" && origin.find("://") == std::string::npos) {
             bad("cors-origins", v, "an origin is SCHEME://HOST[:PORT] or *");
           }
           while (origin.size() > 1 && origin.back() == '/') origin.pop_back();
         }
       }},
      {"trusted-proxies", "",
       "comma list of proxy IPs or CIDRs whose X-Forwarded-For/-Proto are believed; default none",
       [](Settings& s, const std::string& v) {
         s.trusted_proxies = to_list(v);
         try {
           net::TrustedProxies check(s.trusted_proxies);
         } catch (const std::invalid_argument& e) {
           bad("trusted-proxies", v, e.what());
         }
       }},
      {"idle-timeout", "60",
       "seconds without a whole frame (a pong, a message) before a peer is dropped",
       [](Settings& s, const std::string& v) {
         s.limits.idle_timeout = to_seconds("idle-timeout", v);
       }},
      {"handshake-timeout", "10", "seconds to send the HTTP request / finish the upgrade",
       [](Settings& s, const std::string& v) {
         s.limits.handshake_timeout = to_seconds("handshake-timeout", v);
       }},
      {"jwks-refresh", "300", "seconds between JWKS refreshes",
       [](Settings& s, const std::string& v) { s.jwks_refresh = to_seconds("jwks-refresh", v); }},
      {"jwks-min-refetch", "30", "least seconds between refetches for an unknown kid",
       [](Settings& s, const std::string& v) {
         s.jwks_min_refetch = to_seconds("jwks-min-refetch", v, 0);
       }},
      {"token-leeway", "30", "seconds of clock skew allowed on exp/nbf",
       [](Settings& s, const std::string& v) {
         s.token_leeway = to_seconds("token-leeway", v, 0);
       }},
      {"token-expiry", "connect",
       "connect (a token's exp is checked at the upgrade only, as OnRabble does) or enforce "
       "(open connections are closed with 4001 at exp)",
       [](Settings& s, const std::string& v) {
         if (v == "connect") {
           s.token_expiry = Settings::TokenExpiry::connect;
         } else if (v == "enforce") {
           s.token_expiry = Settings::TokenExpiry::enforce;
         } else {
           bad("token-expiry", v, "expected connect or enforce");
         }
       }},
      {"api-insecure", "false",
       "serve the REST routes without a token as if an admin called (OnRabble's dashboard on a "
       "private network only)",
       [](Settings& s, const std::string& v) { s.api_insecure = to_bool("api-insecure", v); }},
      {"shutdown-timeout", "10", "seconds a graceful shutdown may take",
       [](Settings& s, const std::string& v) {
         s.shutdown_timeout = to_seconds("shutdown-timeout", v);
       }},
      {"analytics-interval", "10",
       "least seconds between analytics updates pushed to admin dashboards",
       [](Settings& s, const std::string& v) {
         s.analytics_interval = to_seconds("analytics-interval", v);
       }},
      {"threads", "0", "IO threads (shards); 0 means one per core",
       [](Settings& s, const std::string& v) {
         s.threads = static_cast<std::size_t>(to_int("threads", v, 0, 256));
       }},
      {"public-url", "", "the URL clients reach natter at (for /discovery)",
       [](Settings& s, const std::string& v) { s.public_url = v; }},
      {"server-name", "natter", "this server's name (for /discovery)",
       [](Settings& s, const std::string& v) { s.server_name = v; }},
      {"log-level", "info", "trace, debug, info, warn, error",
       [](Settings& s, const std::string& v) {
         static const char* levels[] = {"trace", "debug", "info", "warn", "error", "off"};
         if (std::find(std::begin(levels), std::end(levels), v) == std::end(levels)) {
           bad("log-level", v, "expected trace, debug, info, warn or error");
         }
         s.log_level = v;
       }},
      {"log-format", "human", "human (one readable line per event) or json (one object per line)",
       [](Settings& s, const std::string& v) {
         if (v != "human" && v != "json") bad("log-format", v, "expected human or json");
         s.log_format = v;
       }},
      {"web", "true", "serve the browser app at /, /chat, /admin and /assets",
       [](Settings& s, const std::string& v) { s.web = to_bool("web", v); }},
      {"web-root", "",
       "serve the browser app from this directory (a vite build) instead of the built-in copy",
       [](Settings& s, const std::string& v) { s.web_root = v; }},
      {"web-client-id", "natter-web",
       "the browser app's public OIDC client id (authorization code with PKCE)",
       [](Settings& s, const std::string& v) {
         if (v.empty() || v.size() > 64) bad("web-client-id", v, "must be 1-64 bytes");
         s.web_client_id = v;
       }},
      {"dev-key", "",
       "with --dev: a PEM file holding the signing key, made when missing, so that several "
       "--dev instances accept each other's tokens; default: a fresh key per start",
       [](Settings& s, const std::string& v) { s.dev_key = v; }},
      {"dev", "false",
       "development mode: natter signs its own tokens, served by GET /dev/token on loopback",
       [](Settings& s, const std::string& v) { s.dev = to_bool("dev", v); }},
  };
  return all;
}

const Option* find_option(std::string_view name) {
  for (const auto& o : options()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

}  // namespace natter::config
