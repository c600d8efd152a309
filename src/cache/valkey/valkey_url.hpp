// Where Valkey (or Redis) is: NATTER_VALKEY_URL=redis://[:password@]host[:port][/db].
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace natter::cache {

struct ValkeyAddress {
  std::string host;
  std::uint16_t port = 6379;
  std::string username;  // with a password: AUTH username password (ACL users)
  std::string password;  // empty: no AUTH
  int database = 0;
};

// Empty when the URL is not redis:// (or valkey://) with a host; `why` says what is wrong.
std::optional<ValkeyAddress> parse_valkey_url(const std::string& url, std::string& why);

}  // namespace natter::cache
