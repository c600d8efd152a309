// JSON Web Keys (RFC 7517/7518/8037) to OpenSSL keys and back: RSA (n, e), EC (P-256, P-384,
// P-521; x, y) and OKP Ed25519 (x). Public keys only; knows nothing of key sets or tokens.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "auth/public_key.hpp"

namespace natter::auth {

struct ParsedJwk {
  std::shared_ptr<const PublicKey> key;  // null when the JWK cannot be used
  std::string error;                     // why not, for the log
};

// A verification key from one JWK. Refuses "use":"enc", private members are ignored, unknown
// kty/crv, numbers that are not strict base64url or of the wrong size, RSA under 2048 bits.
ParsedJwk parse_jwk(const boost::json::object& jwk);

// The public JWK of `key` (public or private): kty, crv, n/e or x/y, plus kid, alg and
// "use":"sig". Throws std::runtime_error for a key type natter cannot describe.
boost::json::object public_jwk(const evp_pkey_st* key, const std::string& kid,
                               const std::string& alg);

}  // namespace natter::auth
