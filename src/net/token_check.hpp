// Verifies a bearer token for any HTTP entry point (the WebSocket upgrade, the REST API): on an
// unknown kid, or before any key set has loaded, it waits once for a JWKS refetch without
// blocking the shard. Knows nothing of where the token came from.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <string>
#include <string_view>

#include "auth/jwks_client.hpp"
#include "auth/token_verifier.hpp"

namespace natter::net {

// What a token is checked against: the verifier, and (outside --dev) the JWKS client it asks
// for a refetch.
struct TokenSource {
  const auth::TokenVerifier& verifier;
  auth::JwksClient* jwks = nullptr;
};

boost::asio::awaitable<auth::VerifyResult> check_token(const TokenSource& source,
                                                       std::string_view token);

// The token of an `Authorization: Bearer <token>` header value (the scheme without regard to
// case, RFC 9110 11.1), trimmed; empty when the value is not one.
std::string_view bearer_token(std::string_view authorization);

// How an entry point refuses a token check's failure: 503 when no keys can be had, else 401.
struct TokenRefusal {
  boost::beast::http::status status;
  std::string code;    // the JSON error code
  std::string reason;  // the JSON error message
};
TokenRefusal token_refusal(auth::TokenError error);

}  // namespace natter::net
