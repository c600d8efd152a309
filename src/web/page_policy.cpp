// Building the app's Content-Security-Policy from the issuer and public URL.
#include "web/page_policy.hpp"

#include <algorithm>
#include <cctype>

namespace natter::web {

std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  const auto host_start = scheme_end + 3;
  auto host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  if (host_end == host_start) return {};
  std::string origin(url.substr(0, host_end));
  if (origin.find_first_of(" ;,'\"") != std::string::npos) return {};
  if (origin.find('@') != std::string::npos) return {};
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return origin;
}

std::string content_security_policy(std::string_view issuer, std::string_view public_url) {
  const std::string idp = origin_of(issuer);
  const std::string idp_part = idp.empty() ? "" : " " + idp;
  std::string socket_part;
  if (const auto site = origin_of(public_url); site.rfind("https://", 0) == 0) {
    socket_part = " wss://" + site.substr(8);
  } else if (site.rfind("http://", 0) == 0) {
    socket_part = " ws://" + site.substr(7);
  }
  return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
         "img-src 'self' data:; object-src 'none'; connect-src 'self'" +
         socket_part + idp_part + "; frame-src 'self'" + idp_part +
         "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" + idp_part;
}

std::vector<std::pair<std::string, std::string>> security_headers(std::string policy) {
  return {{"Content-Security-Policy", std::move(policy)},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"}};
}

}  // namespace natter::web
