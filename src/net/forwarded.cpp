// Trusted proxies, the forwarded client address and scheme, and targets fit for logs.
#include "net/forwarded.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace natter::net {
namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> parse_address(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return address;
}

ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query parameter's key, percent-decoded (so "tok%65n" is "token" too) and lower-cased.
std::string decoded_key(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '%' && i + 2 < key.size() && hex_digit(key[i + 1]) >= 0 &&
        hex_digit(key[i + 2]) >= 0) {
      c = static_cast<char>(hex_digit(key[i + 1]) * 16 + hex_digit(key[i + 2]));
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const auto slash = entry.find('/');
    auto address = parse_address(trim(std::string_view(entry).substr(0, slash)));
    if (!address) throw std::invalid_argument("'" + entry + "' is not an IP address or CIDR");
    address = unmapped(*address);
    const int max_prefix = address->is_v4() ? 32 : 128;
    int prefix = max_prefix;
    if (slash != std::string::npos) {
      const auto digits = trim(std::string_view(entry).substr(slash + 1));
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || prefix < 0 ||
          prefix > max_prefix) {
        throw std::invalid_argument("'" + entry + "' has a bad prefix length");
      }
    }
    if (address->is_v4()) {
      v4_.push_back(
          ip::network_v4(address->to_v4(), static_cast<unsigned short>(prefix)).canonical());
    } else {
      v6_.push_back(
          ip::network_v6(address->to_v6(), static_cast<unsigned short>(prefix)).canonical());
    }
  }
}

bool TrustedProxies::contains(const ip::address& address) const {
  const auto a = unmapped(address);
  if (a.is_v4()) {
    return std::any_of(v4_.begin(), v4_.end(), [&](const ip::network_v4& n) {
      return ip::network_v4(a.to_v4(), n.prefix_length()).canonical() == n;
    });
  }
  return std::any_of(v6_.begin(), v6_.end(), [&](const ip::network_v6& n) {
    return ip::network_v6(a.to_v6(), n.prefix_length()).canonical() == n;
  });
}

ip::address client_address(const TrustedProxies& proxies, const ip::address& peer,
                           std::string_view forwarded_for) {
  if (!proxies.contains(peer)) return unmapped(peer);
  ip::address client = unmapped(peer);
  // Right to left: each hop appended the address it saw; the first one we do not trust is the
  // client, since anything to its left was written by the client itself. (The header is
  // bounded by the request's header limit.)
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const auto item =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    if (item.empty()) continue;
    auto address = parse_address(item);
    if (!address) break;
    client = unmapped(*address);
    if (!proxies.contains(client)) break;
  }
  return client;
}

std::optional<std::string> forwarded_proto(const TrustedProxies& proxies, const ip::address& peer,
                                           std::string_view value) {
  if (!proxies.contains(peer)) return std::nullopt;
  auto first = decoded_key(trim(value.substr(0, value.find(','))));
  if (first == "https" || first == "http") return first;
  return std::nullopt;
}

std::string redact_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  bool first = true;
  while (true) {
    const auto amp = query.find('&');
    const auto param = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const auto eq = param.find('=');
    const auto key = decoded_key(param.substr(0, eq));
    if (eq != std::string_view::npos && (key == "token" || key == "access_token")) {
      out.append(param.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace natter::net
