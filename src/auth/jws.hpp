// The JWS signature layer (RFC 7515, algorithms of RFC 7518 and RFC 8037): which `alg` values
// natter accepts, whether a key fits one, and signing or verifying bytes with OpenSSL EVP.
// Knows nothing of claims, key sets or the network.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "auth/public_key.hpp"

namespace natter::auth {

struct Algorithm {
  std::string_view name;        // the JWS `alg`, e.g. "PS256"
  std::string_view kty;         // the key type it needs: "RSA", "EC" or "OKP"
  std::string_view crv;         // the curve it needs; empty for RSA
  const char* digest;           // OpenSSL digest name; nullptr for EdDSA (no prehash)
  bool pss;                     // RSASSA-PSS with salt length = digest length
  std::size_t coordinate_size;  // ECDSA: bytes of r and of s in the JWS signature
};

// The algorithm named `name`, or null for `none`, HMAC and anything else natter refuses.
const Algorithm* find_algorithm(std::string_view name);

// True when `key` may verify `algorithm`: kty and curve match, its JWK `alg` (when present)
// is this one, and its `use` (when present) is "sig".
bool key_fits(const Algorithm& algorithm, const PublicKey& key);

// Checks a JWS signature (ECDSA as raw r||s) over `signing_input`. The caller has already
// checked key_fits.
bool verify_signature(const Algorithm& algorithm, const PublicKey& key,
                      std::string_view signing_input, std::string_view signature);

// Signs `signing_input` with a private key (ECDSA returned as raw r||s); nothing on failure.
std::optional<std::string> sign_bytes(const Algorithm& algorithm, evp_pkey_st* private_key,
                                      std::string_view signing_input);

// base64url(header).base64url(claims).base64url(signature); throws std::runtime_error when
// OpenSSL cannot sign.
std::string sign_compact(const Algorithm& algorithm, evp_pkey_st* private_key,
                         const boost::json::object& header, const boost::json::object& claims);

}  // namespace natter::auth
