// The signature layer against RFC 7515's published examples (A.2 RS256, A.3 ES256) and a
// sign/verify round trip for every algorithm natter accepts, keys made here with OpenSSL.
#include "auth/jws.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/json/parse.hpp>

#include "auth/base64url.hpp"
#include "auth/jwk.hpp"
#include "auth/key_set.hpp"
#include "auth/token_verifier.hpp"

namespace natter::auth {
namespace {

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): the JWS and the public part of its JWK.
constexpr std::string_view kRfcRs256 =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L"
    "07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUi"
    "pUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr std::string_view kRfcRsaJwk =
    R"({"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})";
constexpr std::string_view kRfcEs256 =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view kRfcEcJwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

std::shared_ptr<const PublicKey> jwk_key(std::string_view json) {
  ParsedJwk parsed = parse_jwk(boost::json::parse(json).as_object());
  EXPECT_TRUE(parsed.key) << parsed.error;
  return parsed.key;
}

// Checks the signature of a compact JWS with the signature layer alone.
bool verify_compact(std::string_view jws, const PublicKey& key) {
  const auto last_dot = jws.rfind('.');
  const auto header = base64url_decode(jws.substr(0, jws.find('.')));
  const auto signature = base64url_decode(jws.substr(last_dot + 1));
  if (!header || !signature) {
    return false;
  }
  const auto alg = boost::json::parse(*header).as_object().at("alg").as_string();
  const Algorithm* algorithm = find_algorithm(alg);
  return algorithm && key_fits(*algorithm, key) &&
         verify_signature(*algorithm, key, jws.substr(0, last_dot), *signature);
}

TEST(Jws, VerifiesRfc7515AppendixA2Rs256) {
  const auto key = jwk_key(kRfcRsaJwk);
  ASSERT_TRUE(key);
  EXPECT_TRUE(verify_compact(kRfcRs256, *key));

  std::string tampered(kRfcRs256);
  tampered[tampered.size() - 5] ^= 1;
  EXPECT_FALSE(verify_compact(tampered, *key));
}

TEST(Jws, VerifiesRfc7515AppendixA3Es256) {
  const auto key = jwk_key(kRfcEcJwk);
  ASSERT_TRUE(key);
  EXPECT_TRUE(verify_compact(kRfcEs256, *key));
  EXPECT_FALSE(verify_compact(kRfcEs256, *jwk_key(kRfcRsaJwk)));
}

TEST(Jws, RfcExamplesPassTheSignatureStepOfTheVerifier) {
  // The RFC payloads carry none of our claims: reaching missing_claim means the key was chosen
  // (no kid: the only key of the right type) and the signature held.
  for (const auto& [jws, jwk] :
       {std::pair{kRfcRs256, kRfcRsaJwk}, std::pair{kRfcEs256, kRfcEcJwk}}) {
    auto keys = std::make_shared<KeySet>();
    ASSERT_EQ(keys->load_jwks(std::string(R"({"keys":[)") + std::string(jwk) + "]}"), 1);
    TokenVerifier verifier({}, keys);
    const auto result = verifier.verify(jws, std::chrono::system_clock::now());
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.error, TokenError::missing_claim);
  }
}

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate_for(std::string_view alg) {
  if (alg[0] == 'R' || alg[0] == 'P') {
    return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  }
  if (alg == "ES256") {
    return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  }
  if (alg == "ES384") {
    return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  }
  if (alg == "ES512") {
    return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"));
  }
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

class JwsRoundTrip : public testing::TestWithParam<std::string_view> {};

TEST_P(JwsRoundTrip, SignsAndVerifiesThroughTheJwk) {
  const Algorithm* algorithm = find_algorithm(GetParam());
  ASSERT_TRUE(algorithm);
  const Pkey key = generate_for(GetParam());
  ASSERT_TRUE(key);
  const auto jwk = public_jwk(key.get(), "k1", std::string(GetParam()));
  ParsedJwk parsed = parse_jwk(jwk);
  ASSERT_TRUE(parsed.key) << parsed.error;
  EXPECT_TRUE(key_fits(*algorithm, *parsed.key));

  const std::string input = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0";
  const auto signature = sign_bytes(*algorithm, key.get(), input);
  ASSERT_TRUE(signature);
  if (algorithm->coordinate_size > 0) {
    EXPECT_EQ(signature->size(), 2 * algorithm->coordinate_size);
  }
  EXPECT_TRUE(verify_signature(*algorithm, *parsed.key, input, *signature));
  EXPECT_FALSE(verify_signature(*algorithm, *parsed.key, input + "x", *signature));
  std::string flipped = *signature;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_FALSE(verify_signature(*algorithm, *parsed.key, input, flipped));
  EXPECT_FALSE(verify_signature(*algorithm, *parsed.key, input, signature->substr(1)));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwsRoundTrip,
                         testing::Values("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                         "ES256", "ES384", "ES512", "EdDSA"),
                         [](const auto& info) { return std::string(info.param); });

// An RSA signature whose first byte is zero is, to OpenSSL, the same integer
// as the signature without that byte; JWS wants exactly the modulus length.
class RsaSignatureLength : public testing::TestWithParam<std::string_view> {};

TEST_P(RsaSignatureLength, RefusesSignaturesShorterThanTheModulus) {
  const Algorithm* algorithm = find_algorithm(GetParam());
  ASSERT_TRUE(algorithm);
  const Pkey key = generate_for(GetParam());
  ParsedJwk parsed = parse_jwk(public_jwk(key.get(), "k1", std::string(GetParam())));
  ASSERT_TRUE(parsed.key) << parsed.error;
  for (int attempt = 0; attempt < 5000; ++attempt) {
    const std::string input = "payload-" + std::to_string(attempt);
    const auto signature = sign_bytes(*algorithm, key.get(), input);
    ASSERT_TRUE(signature);
    if ((*signature)[0] != '\0') {
      continue;
    }
    EXPECT_TRUE(verify_signature(*algorithm, *parsed.key, input, *signature));
    EXPECT_FALSE(verify_signature(*algorithm, *parsed.key, input, signature->substr(1)));
    return;
  }
  FAIL() << "no signature with a leading zero byte in 5000 tries";
}

INSTANTIATE_TEST_SUITE_P(Rsa, RsaSignatureLength, testing::Values("RS256", "PS256"),
                         [](const auto& info) { return std::string(info.param); });

TEST(Jws, RefusesNoneAndHmac) {
  for (const char* alg : {"none", "None", "HS256", "HS384", "HS512", "", "RS1", "ES256K"}) {
    EXPECT_EQ(find_algorithm(alg), nullptr) << alg;
  }
}

TEST(Jws, PssSignatureDoesNotVerifyAsPkcs1) {
  const Pkey key = generate_for("RS256");
  const auto public_key = parse_jwk(public_jwk(key.get(), "k", "")).key;
  const auto signature = sign_bytes(*find_algorithm("PS256"), key.get(), "input");
  ASSERT_TRUE(signature);
  EXPECT_TRUE(verify_signature(*find_algorithm("PS256"), *public_key, "input", *signature));
  EXPECT_FALSE(verify_signature(*find_algorithm("RS256"), *public_key, "input", *signature));
}

TEST(Jwk, RefusesUnusableKeys) {
  const auto error = [](std::string_view json) {
    return parse_jwk(boost::json::parse(json).as_object()).error;
  };
  EXPECT_NE(error(R"({"kty":"oct","k":"c2VjcmV0"})"), "");
  EXPECT_NE(error(R"({"kty":"RSA","e":"AQAB"})"), "");
  EXPECT_NE(error(R"({"kty":"RSA","e":"AQAB","n":"AQAB"})"), "");  // far too small
  EXPECT_NE(error(R"({"kty":"EC","crv":"P-256K","x":"AA","y":"AA"})"), "");
  EXPECT_NE(
      error(
          R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"})"),
      "");  // y altered: leftover bits set
  EXPECT_NE(
      error(
          R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4"})"),
      "");  // y altered: not on the curve
  EXPECT_NE(
      error(R"({"kty":"OKP","crv":"X25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})"),
      "");
  EXPECT_NE(error(R"({"kty":"RSA","use":"enc","e":"AQAB","n":"AQAB"})"), "");
  EXPECT_NE(error(R"({"kty":7})"), "");
}

}  // namespace
}  // namespace natter::auth
