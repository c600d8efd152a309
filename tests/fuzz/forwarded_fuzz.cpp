// The forwarded-header parsers (net/forwarded.cpp): TrustedProxies from NATTER_TRUSTED_PROXIES
// entries, client_address over X-Forwarded-For, forwarded_proto over X-Forwarded-Proto. The
// input is lines: trusted entries (comma-separated), the peer address, X-Forwarded-For,
// X-Forwarded-Proto. Checks that every accepted entry's own address is trusted, that an
// untrusted peer is always the client, that a forwarded client is the peer or one of the header's
// own addresses and never an IPv4-mapped IPv6 one, and that the scheme is only http or https,
// and only from a trusted peer.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/forwarded.hpp"

namespace {

namespace ip = boost::asio::ip;
using natter::net::TrustedProxies;

std::string_view next_line(std::string_view& input) {
  const auto nl = input.find('\n');
  const auto line = input.substr(0, nl);
  input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  return line;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (true) {
    const auto at = text.find(separator);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> address_of(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

bool mapped(const ip::address& a) { return a.is_v6() && a.to_v6().is_v4_mapped(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto entries_line = next_line(input);
  const auto peer_line = next_line(input);
  const auto forwarded_for = next_line(input);
  const auto proto = next_line(input);

  std::vector<std::string> entries;
  if (!entries_line.empty()) entries = split(entries_line, ',');
  TrustedProxies proxies;
  try {
    proxies = TrustedProxies(entries);
    for (const auto& entry : entries) {
      auto a = address_of(std::string_view(entry).substr(0, entry.find('/')));
      FUZZ_CHECK(a.has_value());
      FUZZ_CHECK(proxies.contains(*a));
    }
    FUZZ_CHECK(proxies.empty() == entries.empty());
  } catch (const std::invalid_argument&) {
    proxies = TrustedProxies(std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.0/8"});
  }

  auto peer = address_of(peer_line);
  if (!peer) peer = ip::make_address("10.1.2.3");
  const auto client = natter::net::client_address(proxies, *peer, forwarded_for);
  FUZZ_CHECK(!mapped(client));
  if (!proxies.contains(*peer)) {
    FUZZ_CHECK(client == *peer);
  } else if (client != *peer) {
    bool listed = false;
    for (const auto& item : split(forwarded_for, ',')) {
      if (auto a = address_of(item); a && *a == client) listed = true;
    }
    FUZZ_CHECK(listed);
  }

  const auto scheme = natter::net::forwarded_proto(proxies, *peer, proto);
  if (scheme) FUZZ_CHECK(proxies.contains(*peer) && (*scheme == "http" || *scheme == "https"));
  return 0;
}
