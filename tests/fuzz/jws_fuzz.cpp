// The JWT/JWS parser: TokenVerifier::verify (auth/token_verifier.cpp) and base64url
// (auth/base64url.cpp), against a key set holding an Ed25519 key made at start-up, whose private
// half never leaves this process. An input whose first byte is even is a token as a client would
// send it: it must never verify (that would be a forgery), and base64url must round-trip. An odd
// first byte makes the rest the claims of a token this target signs: verify must then never
// call it malformed on the header, a bad signature or an unknown key, an accepted token's
// identity must be the claims' own, and the same token with its signature altered must fail.
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/base64url.hpp"
#include "auth/jwk.hpp"
#include "auth/jws.hpp"
#include "auth/key_set.hpp"
#include "auth/public_key.hpp"
#include "auth/token_verifier.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace natter::auth;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'700'000'000));

// The RFC 7515 appendix A.3 key (ES256), so its example token in the corpus reaches the
// signature check; the fuzzer never sees a private key.
constexpr std::string_view kJwks = R"({"keys":[
  {"kty":"EC","crv":"P-256","kid":"rfc7515","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
   "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

struct Fixture {
  EVP_PKEY* signing_key = nullptr;
  std::shared_ptr<KeySet> keys = std::make_shared<KeySet>();
  std::unique_ptr<TokenVerifier> verifier;

  Fixture() {
    natter::fuzz::quiet_logs();
    FUZZ_CHECK(keys->load_jwks(kJwks) == 1);
    signing_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    FUZZ_CHECK(signing_key != nullptr);
    auto jwk = public_jwk(signing_key, "k1", "EdDSA");
    auto parsed = parse_jwk(jwk);
    FUZZ_CHECK(parsed.key != nullptr);
    keys->put("k1", parsed.key);
    VerifierSettings settings;
    settings.issuer = "https://id.example/realms/natter";
    settings.audiences = {"account"};
    verifier = std::make_unique<TokenVerifier>(settings, keys);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void check_base64url(std::string_view text) {
  if (auto decoded = base64url_decode(text)) FUZZ_CHECK(base64url_encode(*decoded) == text);
  const auto encoded = base64url_encode(text);
  const auto back = base64url_decode(encoded);
  FUZZ_CHECK(back && *back == text);
}

void check_signed(const boost::json::object& claims) {
  const Algorithm* eddsa = find_algorithm("EdDSA");
  FUZZ_CHECK(eddsa != nullptr);
  const boost::json::object header{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", "k1"}};
  const std::string token = sign_compact(*eddsa, fixture().signing_key, header, claims);
  const VerifyResult result = fixture().verifier->verify(token, kNow);
  if (result.ok()) {
    FUZZ_CHECK(result.kid == "k1");
    const auto* sub = claims.if_contains("sub");
    const auto* name = claims.if_contains("preferred_username");
    const auto* azp = claims.if_contains("azp");
    FUZZ_CHECK(sub && sub->is_string() && sub->get_string() == result.identity->subject);
    FUZZ_CHECK(name && name->is_string() && name->get_string() == result.identity->username);
    FUZZ_CHECK(azp && azp->is_string() && azp->get_string() == result.identity->client_id);
    FUZZ_CHECK(!result.identity->subject.empty());
    FUZZ_CHECK(result.identity->expires_at + std::chrono::seconds(30) >= kNow);
  } else {
    // The header and the signature are ours and good: only the claims can be refused.
    FUZZ_CHECK(
        result.error != TokenError::unsupported_algorithm &&
        result.error != TokenError::unknown_key && result.error != TokenError::key_mismatch &&
        result.error != TokenError::bad_signature && result.error != TokenError::keys_unavailable);
  }
  // The same token with one signature byte changed.
  const auto dot = token.rfind('.');
  auto signature = base64url_decode(std::string_view(token).substr(dot + 1));
  FUZZ_CHECK(signature && !signature->empty());
  (*signature)[signature->size() / 2] ^= 0x01;
  const std::string tampered = token.substr(0, dot + 1) + base64url_encode(*signature);
  FUZZ_CHECK(!fixture().verifier->verify(tampered, kNow).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    FUZZ_CHECK(!fixture().verifier->verify(rest, kNow).ok());
    check_base64url(rest);
    return 0;
  }
  boost::system::error_code ec;
  boost::json::value claims = boost::json::parse(rest, ec);
  if (ec || !claims.is_object()) return 0;
  check_signed(claims.get_object());
  return 0;
}
