// Text for people: the --help listing of every setting, the --version line, and URLs made
// fit for logs (a password replaced by ***).
#include <fmt/format.h>

#include "common/build_info.hpp"
#include "config/options.hpp"
#include "config/settings.hpp"

namespace natter::config {

std::string help_text() {
  std::string out =
      "natter: a self-hostable real-time chat server\n\n"
      "usage: natter [--SETTING VALUE]... [--dev]\n"
      "       natter --version | --help\n\n"
      "Every setting is also read from the environment variable shown; flags win.\n"
      "OnRabble's KC_HOSTNAME + REALM_NAME (issuer), CHAT_CLIENT_NAME, WEB_CLIENT_NAME and\n"
      "PUBLIC_HOSTNAME are honoured when the matching NATTER_ setting is not given.\n\n";
  for (const auto& o : options()) {
    out += fmt::format("  --{:<24} {:<30} {}", o.name, env_name(o.name), o.help);
    if (*o.fallback) out += fmt::format(" (default: {})", o.fallback);
    out += '\n';
  }
  return out;
}

std::string version_text() {
  const auto commit = natter::commit();
  return commit.empty() ? fmt::format("natter {}", natter::version())
                        : fmt::format("natter {} ({})", natter::version(), commit);
}

std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace natter::config
