// Parses redis:// and valkey:// URLs into a host, port, password and database.
#include "cache/valkey/valkey_url.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

namespace natter::cache {

std::optional<ValkeyAddress> parse_valkey_url(const std::string& url, std::string& why) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    why = "expected redis://HOST[:PORT][/DB]";
    return std::nullopt;
  }
  const auto scheme = parsed->scheme();
  if (scheme != "redis" && scheme != "valkey") {
    why = "expected the redis:// scheme";
    return std::nullopt;
  }
  ValkeyAddress address;
  address.host = parsed->host_address();
  if (address.host.empty()) {
    why = "no host";
    return std::nullopt;
  }
  if (address.host.size() > 2 && address.host.front() == '[') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (parsed->has_port()) {
    const auto port = parsed->port_number();
    if (port == 0) {
      why = "bad port";
      return std::nullopt;
    }
    address.port = port;
  }
  if (parsed->has_password()) address.password = parsed->password();
  if (parsed->has_userinfo()) address.username = parsed->user();
  std::string path = parsed->path();
  if (!path.empty() && path != "/") {
    const std::string_view digits = std::string_view(path).substr(1);
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), address.database);
    if (ec != std::errc() || end != digits.data() + digits.size() || address.database < 0) {
      why = "the path must be a database number";
      return std::nullopt;
    }
  }
  return address;
}

}  // namespace natter::cache
