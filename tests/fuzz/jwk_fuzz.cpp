// The JWK and JWKS parsers: KeySet::load_jwks (auth/key_set.cpp) and parse_jwk (auth/jwk.cpp).
// Checks load_jwks's count against the document (-1 when it is not a JWKS; else the entries
// parse_jwk accepts, one per kid, at most 100) and that every key parse_jwk accepts, written
// back with public_jwk, parses again to the same OpenSSL key of the same kind.
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "auth/jwk.hpp"
#include "auth/key_set.hpp"
#include "auth/public_key.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace natter::auth;

int expected_count(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value document = boost::json::parse(text, ec);
  if (ec || !document.is_object()) return -1;
  const auto* keys = document.get_object().if_contains("keys");
  if (!keys || !keys->is_array()) return -1;
  std::set<std::string> kids;
  for (const auto& entry : keys->get_array()) {
    if (!entry.is_object()) continue;
    const auto& jwk = entry.get_object();
    ParsedJwk parsed = parse_jwk(jwk);
    if (!parsed.key) {
      FUZZ_CHECK(!parsed.error.empty());
      continue;
    }
    const auto* kid = jwk.if_contains("kid");
    const std::string id = kid && kid->is_string() ? std::string(kid->get_string()) : "";

    // Written back and read again: the same key, the same kind.
    auto written = public_jwk(parsed.key->get(), id, parsed.key->alg());
    if (parsed.key->alg().empty()) written.erase("alg");
    ParsedJwk again = parse_jwk(written);
    FUZZ_CHECK(again.key != nullptr);
    FUZZ_CHECK(again.key->kty() == parsed.key->kty() && again.key->crv() == parsed.key->crv());
    FUZZ_CHECK(EVP_PKEY_eq(again.key->get(), parsed.key->get()) == 1);

    if (kids.size() < 100) kids.insert(id);
  }
  return static_cast<int>(kids.size());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  natter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  KeySet keys;
  const int loaded = keys.load_jwks(text);
  FUZZ_CHECK(loaded == expected_count(text));
  if (loaded >= 0) {
    FUZZ_CHECK(keys.loaded() && keys.size() == static_cast<std::size_t>(loaded));
  } else {
    FUZZ_CHECK(!keys.loaded() && keys.size() == 0);
  }
  return 0;
}
