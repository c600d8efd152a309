// TokenVerifier end to end: tokens signed here for every algorithm, then the attacks and policy
// edges it must refuse (alg none, HMAC key confusion, tampering, wrong or mismatched keys,
// time window, issuer, audience, client, missing or mistyped claims, oversize and garbage).
#include "auth/token_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>

#include "auth/base64url.hpp"
#include "auth/jwk.hpp"
#include "auth/jws.hpp"
#include "auth/public_key.hpp"

namespace natter::auth {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::time_point(1'700'000'000s);
constexpr std::int64_t kNowSeconds = 1'700'000'000;

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey rsa_key() {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
}
Pkey ec_key(const char* curve) { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)); }

std::shared_ptr<const PublicKey> public_of(EVP_PKEY* key, const std::string& alg = {}) {
  auto jwk = public_jwk(key, "unused", alg);
  if (alg.empty()) {
    jwk.erase("alg");
  }
  return parse_jwk(jwk).key;
}

boost::json::object good_claims() {
  return {{"iss", "https://id.example/realms/natter"},
          {"aud", "account"},
          {"azp", "ChatClient"},
          {"sub", "user-1"},
          {"preferred_username", "alice"},
          {"exp", kNowSeconds + 300},
          {"iat", kNowSeconds - 10},
          {"realm_access", {{"roles", {"user", "admin"}}}}};
}

std::string sign(const std::string& alg, EVP_PKEY* key, const std::string& kid,
                 const boost::json::object& claims) {
  boost::json::object header{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) {
    header["kid"] = kid;
  }
  return sign_compact(*find_algorithm(alg), key, header, claims);
}

std::string encode_json(const boost::json::object& object) {
  return base64url_encode(boost::json::serialize(object));
}

// One RSA and one P-256 key, generated once for the whole suite.
class TokenVerifierTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = rsa_key().release();
    other_rsa_ = rsa_key().release();
    p256_ = ec_key("P-256").release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(other_rsa_);
    EVP_PKEY_free(p256_);
  }

  void SetUp() override {
    keys_->put("rsa", public_of(rsa_));
    keys_->put("other", public_of(other_rsa_));
    keys_->put("ec", public_of(p256_, "ES256"));
    settings_.issuer = "https://id.example/realms/natter";
    settings_.audiences = {"account"};
    settings_.allowed_clients = {"ChatClient", "WebClient"};
  }

  VerifyResult verify(std::string_view token, Clock::time_point now = kNow) const {
    return TokenVerifier(settings_, keys_).verify(token, now);
  }
  TokenError error_of(std::string_view token, Clock::time_point now = kNow) const {
    const auto result = verify(token, now);
    EXPECT_FALSE(result.ok());
    return result.error;
  }
  std::string rsa_token(const boost::json::object& claims) const {
    return sign("RS256", rsa_, "rsa", claims);
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* other_rsa_;
  static EVP_PKEY* p256_;
  std::shared_ptr<KeySet> keys_ = std::make_shared<KeySet>();
  VerifierSettings settings_;
};

EVP_PKEY* TokenVerifierTest::rsa_ = nullptr;
EVP_PKEY* TokenVerifierTest::other_rsa_ = nullptr;
EVP_PKEY* TokenVerifierTest::p256_ = nullptr;

TEST_F(TokenVerifierTest, AcceptsAGoodTokenAndFillsTheIdentity) {
  const auto result = verify(rsa_token(good_claims()));
  ASSERT_TRUE(result.ok()) << describe(result.error);
  EXPECT_EQ(result.identity->subject, "user-1");
  EXPECT_EQ(result.identity->username, "alice");
  EXPECT_EQ(result.identity->client_id, "ChatClient");
  EXPECT_TRUE(result.identity->admin);
  EXPECT_EQ(result.identity->expires_at, kNow + 300s);
  EXPECT_EQ(result.kid, "rsa");
}

TEST_F(TokenVerifierTest, RoundTripsEveryAlgorithm) {
  for (const std::string alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}) {
    keys_->put(alg, public_of(rsa_, alg));
    const auto result = verify(sign(alg, rsa_, alg, good_claims()));
    EXPECT_TRUE(result.ok()) << alg << ": " << describe(result.error);
  }
  for (const auto& [alg, curve] :
       {std::pair{"ES256", "P-256"}, std::pair{"ES384", "P-384"}, std::pair{"ES512", "P-521"}}) {
    const Pkey key = ec_key(curve);
    keys_->put(alg, public_of(key.get(), alg));
    const auto result = verify(sign(alg, key.get(), alg, good_claims()));
    EXPECT_TRUE(result.ok()) << alg << ": " << describe(result.error);
  }
  const Pkey ed = Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  keys_->put("ed", public_of(ed.get(), "EdDSA"));
  const auto result = verify(sign("EdDSA", ed.get(), "ed", good_claims()));
  EXPECT_TRUE(result.ok()) << describe(result.error);
}

TEST_F(TokenVerifierTest, RefusesAlgNone) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string token =
        encode_json({{"alg", alg}, {"kid", "rsa"}}) + "." + encode_json(good_claims()) + ".";
    EXPECT_EQ(error_of(token), TokenError::unsupported_algorithm) << alg;
  }
}

TEST_F(TokenVerifierTest, RefusesHmacSignedWithThePublicKeyAsSecret) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), rsa_), 1);
  char* pem = nullptr;
  const long pem_size = BIO_get_mem_data(bio.get(), &pem);
  const std::string input =
      encode_json({{"alg", "HS256"}, {"kid", "rsa"}}) + "." + encode_json(good_claims());
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t mac_size = 0;
  ASSERT_TRUE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, pem,
                        static_cast<std::size_t>(pem_size),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                        sizeof mac, &mac_size));
  const std::string token =
      input + "." + base64url_encode({reinterpret_cast<const char*>(mac), mac_size});
  EXPECT_EQ(error_of(token), TokenError::unsupported_algorithm);
}

TEST_F(TokenVerifierTest, RefusesATamperedPayload) {
  const std::string token = rsa_token(good_claims());
  auto claims = good_claims();
  claims["sub"] = "user-2";
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  const std::string tampered =
      token.substr(0, first + 1) + encode_json(claims) + token.substr(last);
  EXPECT_EQ(error_of(tampered), TokenError::bad_signature);
}

TEST_F(TokenVerifierTest, RefusesATamperedSignature) {
  const std::string token = rsa_token(good_claims());
  const auto last = token.rfind('.');
  auto signature = *base64url_decode(token.substr(last + 1));
  signature[10] ^= 1;
  EXPECT_EQ(error_of(token.substr(0, last + 1) + base64url_encode(signature)),
            TokenError::bad_signature);
  EXPECT_EQ(error_of(token.substr(0, last + 1)), TokenError::bad_signature);
}

TEST_F(TokenVerifierTest, RefusesAKidNamingAnotherKey) {
  EXPECT_EQ(error_of(sign("RS256", rsa_, "other", good_claims())), TokenError::bad_signature);
}

TEST_F(TokenVerifierTest, RefusesAKeyThatDoesNotFitTheAlgorithm) {
  // RS256 token whose kid names an EC key.
  EXPECT_EQ(error_of(sign("RS256", rsa_, "ec", good_claims())), TokenError::key_mismatch);
  // ES256 token whose kid names a P-384 key.
  const Pkey p384 = ec_key("P-384");
  keys_->put("p384", public_of(p384.get()));
  EXPECT_EQ(error_of(sign("ES256", p256_, "p384", good_claims())), TokenError::key_mismatch);
  // The JWK declares RS512; the token says RS256.
  keys_->put("rs512", public_of(rsa_, "RS512"));
  EXPECT_EQ(error_of(sign("RS256", rsa_, "rs512", good_claims())), TokenError::key_mismatch);
  // An encryption key put in by hand.
  const auto enc = public_of(rsa_);
  keys_->put("enc",
             std::make_shared<const PublicKey>(EVP_PKEY_dup(enc->get()), "RSA", "", "", "enc"));
  EXPECT_EQ(error_of(sign("RS256", rsa_, "enc", good_claims())), TokenError::key_mismatch);
}

TEST_F(TokenVerifierTest, NeverLoadsAUseEncKey) {
  auto jwk = public_jwk(rsa_, "enc", "RS256");
  jwk["use"] = "enc";
  const std::string jwks = boost::json::serialize(boost::json::object{{"keys", {jwk}}});
  ASSERT_EQ(keys_->load_jwks(jwks), 0);
  const auto result = verify(sign("RS256", rsa_, "enc", good_claims()));
  EXPECT_EQ(result.error, TokenError::unknown_key);
}

TEST_F(TokenVerifierTest, UnknownKidIsReportedWithTheKid) {
  const auto result = verify(sign("RS256", rsa_, "rotated-2", good_claims()));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, TokenError::unknown_key);
  EXPECT_EQ(result.kid, "rotated-2");
}

TEST_F(TokenVerifierTest, NoKeySetYetMeansKeysUnavailable) {
  const TokenVerifier verifier(settings_, std::make_shared<KeySet>());
  EXPECT_EQ(verifier.verify(rsa_token(good_claims()), kNow).error, TokenError::keys_unavailable);
  auto empty = std::make_shared<KeySet>();
  ASSERT_EQ(empty->load_jwks(R"({"keys":[]})"), 0);
  EXPECT_EQ(TokenVerifier(settings_, empty).verify(rsa_token(good_claims()), kNow).error,
            TokenError::unknown_key);
}

TEST_F(TokenVerifierTest, WithoutKidUsesTheOnlyKeyOfTheRightType) {
  // Only one EC key: found. Two RSA keys: ambiguous.
  EXPECT_TRUE(verify(sign("ES256", p256_, "", good_claims())).ok());
  EXPECT_EQ(error_of(sign("RS256", rsa_, "", good_claims())), TokenError::unknown_key);
}

TEST_F(TokenVerifierTest, ExpiryAndNotBeforeHonourTheLeeway) {
  auto claims = good_claims();
  claims["exp"] = kNowSeconds - 30;  // exp + leeway == now: still good
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
  EXPECT_EQ(error_of(rsa_token(claims), kNow + 1ms), TokenError::expired);
  claims["exp"] = kNowSeconds - 31;
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::expired);
  claims["exp"] = 1e300;  // absurd but a number: clamped, not overflowed
  EXPECT_TRUE(verify(rsa_token(claims)).ok());

  claims = good_claims();
  claims["nbf"] = kNowSeconds + 30;
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
  claims["nbf"] = kNowSeconds + 31;
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::not_yet_valid);
  settings_.leeway = 0s;
  claims["nbf"] = kNowSeconds + 1;
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::not_yet_valid);
}

TEST_F(TokenVerifierTest, ChecksTheIssuer) {
  auto claims = good_claims();
  claims["iss"] = "https://evil.example/realms/natter";
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::wrong_issuer);
  claims.erase("iss");
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::wrong_issuer);
  settings_.issuer.clear();
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
}

TEST_F(TokenVerifierTest, ChecksTheAudienceOrAzp) {
  auto claims = good_claims();
  claims["aud"] = boost::json::array{"other", "account"};
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
  claims["aud"] = "other";
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::wrong_audience);
  claims.erase("aud");
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::wrong_audience);
  settings_.audiences = {"ChatClient"};  // Keycloak: the client only in azp
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
  settings_.audiences.clear();
  claims["aud"] = "anything";
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
}

TEST_F(TokenVerifierTest, ChecksTheClient) {
  auto claims = good_claims();
  claims["azp"] = "SomeOtherApp";
  settings_.audiences.clear();
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::client_not_allowed);
  settings_.allowed_clients.clear();
  EXPECT_TRUE(verify(rsa_token(claims)).ok());
}

TEST_F(TokenVerifierTest, RequiresSubUsernameAzpAndExp) {
  for (const char* name : {"sub", "preferred_username", "azp", "exp"}) {
    auto claims = good_claims();
    claims.erase(name);
    EXPECT_EQ(error_of(rsa_token(claims)), TokenError::missing_claim) << name;
  }
  auto claims = good_claims();
  claims["sub"] = "";
  EXPECT_EQ(error_of(rsa_token(claims)), TokenError::missing_claim);
}

TEST_F(TokenVerifierTest, RefusesClaimsOfTheWrongType) {
  const std::vector<std::pair<const char*, boost::json::value>> cases = {
      {"sub", 42},
      {"preferred_username", boost::json::array{"alice"}},
      {"azp", nullptr},
      {"exp", "1700000300"},
      {"exp", true},
      {"nbf", "now"},
      {"iat", boost::json::object{}},
      {"iss", 1},
      {"aud", 7},
      {"aud", boost::json::array{"account", 7}},
  };
  for (const auto& [name, value] : cases) {
    auto claims = good_claims();
    claims[name] = value;
    EXPECT_EQ(error_of(rsa_token(claims)), TokenError::malformed)
        << name << "=" << boost::json::serialize(value);
  }
}

TEST_F(TokenVerifierTest, RefusesGarbageBeforeLookingForKeys) {
  const std::string good = rsa_token(good_claims());
  const auto first = good.find('.');
  const auto last = good.rfind('.');
  const std::string header = good.substr(0, first);
  const std::string payload = good.substr(first + 1, last - first - 1);
  const std::string signature = good.substr(last + 1);
  for (const std::string& token : {
           std::string(""),
           std::string("abc"),
           header + "." + payload,
           good + ".",
           good + ".x",
           "!!" + good,
           header + "." + payload + "==." + signature,
           header + "." + payload + "." + signature + "=",
           header + "." + payload + ".+/" + signature,
           header + " ." + payload + "." + signature,
           base64url_encode("not json") + "." + payload + "." + signature,
           base64url_encode("[1,2]") + "." + payload + "." + signature,
           encode_json({{"alg", 256}}) + "." + payload + "." + signature,
           encode_json({{"alg", "RS256"}, {"kid", 5}}) + "." + payload + "." + signature,
           encode_json({{"alg", "RS256"}, {"kid", "rsa"}, {"crit", {"exp"}}}) + "." + payload +
               "." + signature,
           header + "." + base64url_encode("{\"sub\":") + "." + signature,
           // An unknown kid with a broken body must not look like a key rotation.
           encode_json({{"alg", "RS256"}, {"kid", "new"}}) + ".%%%." + signature,
       }) {
    EXPECT_EQ(error_of(token), TokenError::malformed) << token;
  }
}

TEST_F(TokenVerifierTest, RefusesOversizeTokensUnread) {
  auto claims = good_claims();
  claims["padding"] = std::string(11000, 'x');
  const std::string fits = rsa_token(claims);
  ASSERT_LT(fits.size(), 16u * 1024);
  EXPECT_TRUE(verify(fits).ok());
  claims["padding"] = std::string(13000, 'x');
  const std::string oversize = rsa_token(claims);
  ASSERT_GT(oversize.size(), 16u * 1024);
  EXPECT_EQ(error_of(oversize), TokenError::malformed);
  EXPECT_EQ(error_of(std::string(17 * 1024, 'A')), TokenError::malformed);
}

TEST_F(TokenVerifierTest, AdminRoleComesFromTheConfiguredClaim) {
  const auto admin = [&](const boost::json::object& claims) {
    const auto result = verify(rsa_token(claims));
    EXPECT_TRUE(result.ok()) << describe(result.error);
    return result.ok() && result.identity->admin;
  };
  auto claims = good_claims();
  EXPECT_TRUE(admin(claims));
  claims["realm_access"] = {{"roles", {"user"}}};
  EXPECT_FALSE(admin(claims));
  claims["realm_access"] = "admin";
  EXPECT_FALSE(admin(claims));
  claims["realm_access"] = {{"roles", "admin"}};  // not an array
  EXPECT_FALSE(admin(claims));
  claims["roles"] = {"admin", 3};
  settings_.role_claim = "roles";
  EXPECT_TRUE(admin(claims));
  settings_.admin_role = "moderator";
  EXPECT_FALSE(admin(claims));
  settings_.role_claim = "resource_access.natter.roles";
  claims["resource_access"] = {{"natter", {{"roles", {"moderator"}}}}};
  EXPECT_TRUE(admin(claims));
}

TEST(Describe, GivesShortLogSafeWords) {
  EXPECT_EQ(describe(TokenError::expired), "token expired");
  EXPECT_EQ(describe(TokenError::unknown_key), "unknown signing key");
  for (int e = 0; e <= static_cast<int>(TokenError::keys_unavailable); ++e) {
    EXPECT_FALSE(describe(static_cast<TokenError>(e)).empty());
  }
}

}  // namespace
}  // namespace natter::auth
