// The security headers on every response of the browser app: a Content-Security-Policy that
// allows no inline script and no outside origin but the identity provider's, no MIME sniffing,
// no referrer, no framing.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natter::web {

// scheme://host[:port] of a URL, lower-case scheme and host; empty when it is not one.
std::string origin_of(std::string_view url);

// The Content-Security-Policy. issuer: the OIDC issuer URL (its origin may be fetched, framed
// for silent renewal and navigated to); public_url: where clients reach natter, whose ws(s)
// origin is allowed explicitly for browsers where 'self' does not cover WebSockets.
std::string content_security_policy(std::string_view issuer, std::string_view public_url);

// The headers every page and file response carries, the policy first.
std::vector<std::pair<std::string, std::string>> security_headers(std::string policy);

}  // namespace natter::web
