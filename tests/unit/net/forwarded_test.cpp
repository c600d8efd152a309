#include "net/forwarded.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace natter::net {
namespace {

namespace ip = boost::asio::ip;

ip::address addr(const char* text) { return ip::make_address(text); }

TEST(TrustedProxies, MatchesAddressesAndNetworks) {
  TrustedProxies proxies({"127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"});
  EXPECT_TRUE(proxies.contains(addr("127.0.0.1")));
  EXPECT_FALSE(proxies.contains(addr("127.0.0.2")));
  EXPECT_TRUE(proxies.contains(addr("10.200.3.4")));
  EXPECT_FALSE(proxies.contains(addr("11.0.0.1")));
  EXPECT_TRUE(proxies.contains(addr("fd12::1")));
  EXPECT_TRUE(proxies.contains(addr("::1")));
  EXPECT_FALSE(proxies.contains(addr("fe80::1")));
  EXPECT_TRUE(proxies.contains(addr("::ffff:10.1.2.3")));  // IPv4-mapped counts as IPv4
}

TEST(TrustedProxies, EmptyTrustsNobody) {
  TrustedProxies proxies;
  EXPECT_TRUE(proxies.empty());
  EXPECT_FALSE(proxies.contains(addr("127.0.0.1")));
}

TEST(TrustedProxies, RefusesBadEntries) {
  for (const char* bad : {"localhost", "10.0.0.0/33", "10.0.0.0/", "::1/129", "1.2.3.4/x", ""}) {
    EXPECT_THROW(TrustedProxies(std::vector<std::string>{bad}), std::invalid_argument) << bad;
  }
}

TEST(ClientAddress, IgnoresHeadersFromUntrustedPeers) {
  TrustedProxies proxies({"127.0.0.1"});
  EXPECT_EQ(client_address(proxies, addr("192.0.2.7"), "203.0.113.9"), addr("192.0.2.7"));
  EXPECT_EQ(client_address(TrustedProxies(), addr("127.0.0.1"), "203.0.113.9"), addr("127.0.0.1"));
}

TEST(ClientAddress, TakesTheRightMostUntrustedAddress) {
  TrustedProxies proxies({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), "203.0.113.9"), addr("203.0.113.9"));
  // The client wrote "1.1.1.1" itself; the proxies appended what they saw.
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), "1.1.1.1, 203.0.113.9, 10.0.0.5"),
            addr("203.0.113.9"));
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), " 2001:db8::1 "), addr("2001:db8::1"));
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), "[2001:db8::2]"), addr("2001:db8::2"));
}

TEST(ClientAddress, NoHeaderOrAllTrustedOrMalformed) {
  TrustedProxies proxies({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), ""), addr("127.0.0.1"));
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), "10.0.0.9, 10.0.0.5"), addr("10.0.0.9"));
  // A malformed entry: the hop that reported it is the last address we can stand behind.
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), "203.0.113.9, junk, 10.0.0.5"),
            addr("10.0.0.5"));
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), "junk"), addr("127.0.0.1"));
  EXPECT_EQ(client_address(proxies, addr("127.0.0.1"), ",,203.0.113.9,"), addr("203.0.113.9"));
}

TEST(ForwardedProto, OnlyFromTrustedPeersAndOnlyHttpOrHttps) {
  TrustedProxies proxies({"127.0.0.1"});
  EXPECT_EQ(forwarded_proto(proxies, addr("127.0.0.1"), "https"), "https");
  EXPECT_EQ(forwarded_proto(proxies, addr("127.0.0.1"), "HTTPS, http"), "https");
  EXPECT_EQ(forwarded_proto(proxies, addr("127.0.0.1"), "http"), "http");
  EXPECT_EQ(forwarded_proto(proxies, addr("127.0.0.1"), "gopher"), std::nullopt);
  EXPECT_EQ(forwarded_proto(proxies, addr("127.0.0.1"), ""), std::nullopt);
  EXPECT_EQ(forwarded_proto(proxies, addr("192.0.2.7"), "https"), std::nullopt);
}

TEST(RedactTarget, HidesTokenValues) {
  EXPECT_EQ(redact_target("/ws?token=eyJ.abc.def"), "/ws?token=***");
  EXPECT_EQ(redact_target("/ws?since=5&token=eyJ.abc.def&x=1"), "/ws?since=5&token=***&x=1");
  EXPECT_EQ(redact_target("/ws?access_token=a&TOKEN=b&tok%65n=c"),
            "/ws?access_token=***&TOKEN=***&tok%65n=***");
  EXPECT_EQ(redact_target("/ws?token=a&token=b"), "/ws?token=***&token=***");
}

TEST(RedactTarget, LeavesEverythingElse) {
  EXPECT_EQ(redact_target("/channels"), "/channels");
  EXPECT_EQ(redact_target("/ws?"), "/ws?");
  EXPECT_EQ(redact_target("/ws?since=3&tokens=x&my_token=y"), "/ws?since=3&tokens=x&my_token=y");
  EXPECT_EQ(redact_target("/ws?token"), "/ws?token");
  EXPECT_EQ(redact_target("/x?a=1&&b=2"), "/x?a=1&&b=2");
}

}  // namespace
}  // namespace natter::net
