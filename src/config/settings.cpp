// Reading the settings: the environment and the command line through the table of
// config/options.hpp, OnRabble's deployment variables, the NATTER_* variables that are not
// settings, and the checks that span several settings.
#include "config/settings.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/url/parse.hpp>
#include <cstdlib>
#include <iostream>
#include <map>

#include "config/options.hpp"

namespace natter::config {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string with_scheme(const std::string& host) {
  return host.find("://") == std::string::npos ? "https://" + host : host;
}

// OnRabble's deployment variables, honoured where natter's own are not set: the Keycloak
// host and realm give the issuer, the client names the chat and dashboard client ids, the
// public host the URLs /discovery hands out.
void apply_onrabble_names(Settings& s, const std::map<std::string, std::string>& given) {
  const auto keycloak = env_or_empty("KC_HOSTNAME");
  const auto realm = env_or_empty("REALM_NAME");
  s.onrabble_keycloak_host = keycloak;
  s.onrabble_realm = realm;
  if (!given.contains("oidc-issuer") && !keycloak.empty() && !realm.empty()) {
    s.oidc_issuer = with_scheme(keycloak) + "/realms/" + realm;
  }
  if (auto chat = env_or_empty("CHAT_CLIENT_NAME");
      !given.contains("chat-client") && !chat.empty()) {
    s.chat_client = chat;
  }
  if (auto web = env_or_empty("WEB_CLIENT_NAME");
      !given.contains("dashboard-client") && !web.empty()) {
    s.dashboard_client = web;
  }
  // OnRabble serves chat at chat.PUBLIC_HOSTNAME.
  if (auto host = env_or_empty("PUBLIC_HOSTNAME"); !host.empty()) {
    s.onrabble_public_hostname = host;
    if (!given.contains("public-url")) s.public_url = with_scheme("chat." + host);
  }
}

}  // namespace

// Edit distance, for "did you mean" on a mistyped variable.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A warning for every NATTER_* variable that is not a setting (a typo is otherwise silent).
std::vector<std::string> unknown_variables() {
  std::vector<std::string> warnings;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view variable(*entry);
    variable = variable.substr(0, variable.find('='));
    if (!variable.starts_with("NATTER_")) continue;
    const Option* closest = nullptr;
    std::size_t best = 3;  // suggest only what is at most two edits away
    bool known = false;
    for (const auto& o : options()) {
      const auto name = env_name(o.name);
      if (name == variable) {
        known = true;
        break;
      }
      if (const auto d = distance(variable, name); d < best) {
        best = d;
        closest = &o;
      }
    }
    if (known) continue;
    warnings.push_back(
        closest ? fmt::format("{} is not a setting (ignored); did you mean {}?", variable,
                              env_name(closest->name))
                : fmt::format("{} is not a setting (ignored); natter --help lists them", variable));
  }
  return warnings;
}

// An http(s) URL with a host, or the setting is refused.
void check_http_url(std::string_view flag, const std::string& value) {
  if (value.empty()) return;
  auto url = boost::urls::parse_absolute_uri(value);
  if (!url) bad(flag, value, "not a URL");
  if (url->scheme() != "http" && url->scheme() != "https") {
    bad(flag, value, "expected an http:// or https:// URL");
  }
  if (url->encoded_host().empty()) bad(flag, value, "the URL has no host");
}

std::optional<Settings> load_settings(int argc, char** argv, bool serving) {
  std::map<std::string, std::string> values;
  for (const auto& o : options()) {
    if (const char* env = std::getenv(env_name(o.name).c_str())) values[o.name] = env;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help_text();
      return std::nullopt;
    }
    if (arg == "--version") {
      std::cout << version_text() << '\n';
      return std::nullopt;
    }
    if (arg.rfind("--", 0) != 0) throw ConfigError(fmt::format("unexpected argument '{}'", arg));
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Option* option = find_option(name);
    if (!option) throw ConfigError(fmt::format("unknown setting '--{}' (see --help)", name));
    if (!value) {
      if (name == "dev") {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw ConfigError(fmt::format("{} (--{}): missing value", env_name(name), name));
      }
    }
    values[name] = *value;
  }

  Settings settings;
  for (const auto& o : options()) {
    auto it = values.find(o.name);
    if (it != values.end()) o.apply(settings, it->second);
  }
  apply_onrabble_names(settings, values);
  // The issuer may come from KC_HOSTNAME + REALM_NAME: checked once it is known.
  check_http_url("jwks-url", settings.jwks_url);
  check_http_url("oidc-issuer", settings.oidc_issuer);
  settings.warnings = unknown_variables();
  if (serving && !settings.dev && settings.jwks_url.empty() && settings.oidc_issuer.empty()) {
    throw ConfigError(
        "NATTER_JWKS_URL (--jwks-url) or NATTER_OIDC_ISSUER (--oidc-issuer) is required "
        "(or --dev for a local development issuer)");
  }
  if (settings.limits.max_message_bytes > settings.limits.max_frame_bytes) {
    throw ConfigError(
        "NATTER_MAX_MESSAGE_BYTES (--max-message-bytes): must not exceed "
        "NATTER_MAX_FRAME_BYTES");
  }
  return settings;
}

}  // namespace natter::config
