// The client behind the peer: every X-Forwarded-For header joined, then read from the right.
#include "net/request_origin.hpp"

#include <fmt/format.h>

#include <boost/beast/http.hpp>

namespace natter::net {

RequestOrigin origin_of(const TrustedProxies& proxies, const Request& request,
                        const boost::asio::ip::tcp::endpoint& peer) {
  std::string forwarded_for;
  for (auto [it, end] = request.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!forwarded_for.empty()) forwarded_for += ',';
    forwarded_for += it->value();
  }
  const bool trusted = !forwarded_for.empty() && proxies.contains(peer.address());
  RequestOrigin origin;
  origin.client = client_address(proxies, peer.address(), forwarded_for);
  origin.scheme =
      forwarded_proto(proxies, peer.address(), request["X-Forwarded-Proto"]).value_or("http");
  const auto peer_text = fmt::format("{}:{}", peer.address().to_string(), peer.port());
  origin.description =
      trusted ? fmt::format("{} (via {})", origin.client.to_string(), peer_text) : peer_text;
  origin.untrusted_forward = !forwarded_for.empty() && !trusted;
  return origin;
}

}  // namespace natter::net
