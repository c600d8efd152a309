// Who a verified token says the caller is, and why a token was refused.
// Knows nothing of sockets or HTTP; shared by the WebSocket upgrade and the REST API.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace natter::auth {

struct Identity {
  std::string subject;    // `sub`: the stable user id
  std::string username;   // `preferred_username`
  std::string client_id;  // `azp`: the OAuth client the token was issued to
  bool admin = false;     // the configured admin role is present
  std::chrono::system_clock::time_point expires_at;  // `exp`
};

enum class TokenError {
  malformed,              // not three base64url parts of JSON, or a claim of the wrong type
  unsupported_algorithm,  // `none`, HMAC, or an algorithm we do not verify
  unknown_key,            // no key with this `kid` (a refetch may find it)
  key_mismatch,           // the key's kty/alg/use/crv does not fit the token's `alg`
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  client_not_allowed,
  missing_claim,     // sub, preferred_username, azp or exp absent
  keys_unavailable,  // no key set has ever been loaded (provider unreachable)
};

// A short, log-safe description ("token expired").
std::string_view describe(TokenError error);

}  // namespace natter::auth
