// Where a request came from: the client (through trusted proxies, net/forwarded.hpp) and how it
// reached natter, for the routes, the connection caps and the logs.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "net/forwarded.hpp"
#include "net/http_reply.hpp"

namespace natter::net {

struct RequestOrigin {
  boost::asio::ip::address client;
  std::string scheme;              // "http", or what a trusted proxy's X-Forwarded-Proto says
  std::string description;         // for logs: "1.2.3.4:5678", or "1.2.3.4 (via 10.0.0.2:5678)"
  bool untrusted_forward = false;  // X-Forwarded-For from a peer we do not trust (ignored)
};

RequestOrigin origin_of(const TrustedProxies& proxies, const Request& request,
                        const boost::asio::ip::tcp::endpoint& peer);

}  // namespace natter::net
