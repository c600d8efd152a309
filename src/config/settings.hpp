// natter's configuration: every setting is an environment variable (NATTER_LISTEN) with a
// command-line flag of the same name (--listen); flags win. A bad value stops start-up with
// one line naming the setting. The limits are common/limits.hpp's, filled from here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/limits.hpp"

namespace natter::config {

using Limits = natter::Limits;  // filled from the settings below

struct Settings {
  std::string database_url = "sqlite:natter.db";
  std::string valkey_url;  // empty: the in-process cache (one instance)
  std::chrono::seconds presence_timeout{15};
  std::size_t valkey_pipeline = 1024;
  std::size_t store_threads = 4;
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 8080;
  // Host and port of a listener that serves only /metrics; unset: /metrics is on listen_*.
  std::optional<std::pair<std::string, std::uint16_t>> metrics_listen;
  std::string jwks_url;
  std::string oidc_issuer;
  std::vector<std::string> audiences;
  std::vector<std::string> allowed_clients;
  std::string dashboard_client = "WebClient";
  std::string chat_client = "ChatClient";
  std::string admin_role = "admin";
  std::string role_claim = "realm_access.roles";
  std::vector<std::string> channels{"general"};
  std::int64_t rate_limit_messages = 10;
  std::int64_t rate_limit_window_seconds = 60;
  std::chrono::seconds jwks_refresh{300};
  std::chrono::seconds jwks_min_refetch{30};
  std::chrono::seconds token_leeway{30};
  // connect: a token's exp is checked at the upgrade only (OnRabble's clients never refresh);
  // enforce: an open connection is closed with 4001 at exp (plus the leeway). A connection
  // that has sent refresh_token is held to its latest token's exp either way.
  enum class TokenExpiry { connect, enforce };
  TokenExpiry token_expiry = TokenExpiry::connect;
  // The REST routes served without a token as if an admin called (OnRabble's dashboard, on a
  // private network only).
  bool api_insecure = false;
  std::chrono::seconds shutdown_timeout{10};
  std::chrono::seconds analytics_interval{10};
  std::size_t threads = 0;  // 0: one per core
  bool dev = false;
  std::string dev_key;  // --dev: the signing key's PEM file (made when missing); empty: fresh
  std::string log_level = "info";
  std::string log_format = "human";
  std::string public_url;
  // OnRabble's PUBLIC_HOSTNAME and KC_HOSTNAME/REALM_NAME, kept as given: /discovery serves
  // OnRabble's scheme-less URLs from them.
  std::string onrabble_public_hostname;
  std::string onrabble_keycloak_host;
  std::string onrabble_realm;
  std::string server_name = "natter";
  // Origins allowed to call the REST API from a browser (CORS); empty: none, "*": any.
  std::vector<std::string> cors_origins;
  // Reverse proxies (IPs or CIDRs) whose X-Forwarded-For/-Proto are believed; empty: none.
  std::vector<std::string> trusted_proxies;
  // The browser app: served at /, /chat/..., /admin/..., /assets/... unless turned off; from
  // web_root instead of the embedded copy when set; web_client_id is its public OIDC client.
  bool web = true;
  std::string web_root;
  std::string web_client_id = "natter-web";
  Limits limits;
  // What start-up should warn about (unknown NATTER_* variables); logged once logging is set.
  std::vector<std::string> warnings;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads the environment and argv. Throws ConfigError naming the bad setting.
// Returns nullopt when --help or --version was asked for (and printed).
// `serving`: false for a command that does not serve (natter backup): no identity provider is
// required then.
std::optional<Settings> load_settings(int argc, char** argv, bool serving = true);

std::string help_text();
std::string version_text();  // "natter 0.1.0 (abc123def456)"

// A URL fit for logs: any password in it replaced by "***".
std::string redact_url(const std::string& url);

}  // namespace natter::config
