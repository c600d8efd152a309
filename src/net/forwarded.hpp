// Who a request really came from when natter sits behind a reverse proxy (Caddy): the
// X-Forwarded-For and X-Forwarded-Proto headers count only when the TCP peer is a trusted
// proxy. Also the request target as it may be logged: never with a token in it.
// Knows addresses and header values, not sockets or sessions.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace natter::net {

// The proxies whose forwarded headers are believed: IPs and CIDRs (NATTER_TRUSTED_PROXIES).
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Each entry an IP (v4 or v6) or a CIDR; throws std::invalid_argument naming a bad entry.
  explicit TrustedProxies(const std::vector<std::string>& entries);

  bool empty() const { return v4_.empty() && v6_.empty(); }
  // An IPv4-mapped IPv6 address counts as its IPv4 address.
  bool contains(const boost::asio::ip::address& address) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// The client's address: the peer itself unless it is a trusted proxy; then the right-most
// address of X-Forwarded-For (all its values, in order, comma-joined) that is not a trusted
// proxy. A malformed entry stops the walk: the hop that reported it is taken instead. When
// every entry is trusted, the left-most is the client.
boost::asio::ip::address client_address(const TrustedProxies& proxies,
                                        const boost::asio::ip::address& peer,
                                        std::string_view forwarded_for);

// "https" or "http" from a trusted proxy's X-Forwarded-Proto (its first value); nullopt when
// the peer is not trusted or the value is neither.
std::optional<std::string> forwarded_proto(const TrustedProxies& proxies,
                                           const boost::asio::ip::address& peer,
                                           std::string_view forwarded_proto);

// The request target fit for a log: the value of every `token` query parameter replaced by
// "***" (a WebSocket client may carry its JWT there).
std::string redact_target(std::string_view target);

}  // namespace natter::net
