// Log-safe words for why a token was refused; the text never includes the token itself.
#include "auth/identity.hpp"

namespace natter::auth {

std::string_view describe(TokenError error) {
  switch (error) {
    case TokenError::malformed:
      return "malformed token";
    case TokenError::unsupported_algorithm:
      return "unsupported signing algorithm";
    case TokenError::unknown_key:
      return "unknown signing key";
    case TokenError::key_mismatch:
      return "signing key does not fit the algorithm";
    case TokenError::bad_signature:
      return "bad signature";
    case TokenError::expired:
      return "token expired";
    case TokenError::not_yet_valid:
      return "token not yet valid";
    case TokenError::wrong_issuer:
      return "wrong issuer";
    case TokenError::wrong_audience:
      return "wrong audience";
    case TokenError::client_not_allowed:
      return "client not allowed";
    case TokenError::missing_claim:
      return "required claim missing";
    case TokenError::keys_unavailable:
      return "signing keys unavailable";
  }
  return "invalid token";
}

}  // namespace natter::auth
