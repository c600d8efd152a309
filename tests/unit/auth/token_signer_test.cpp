// TokenSigner: generated RS256 keys and PEM-loaded RSA/EC keys mint tokens the verifier
// accepts through public_key() and through the published JWK; PEMs round-trip.
#include "auth/token_signer.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "auth/base64url.hpp"
#include "auth/key_set.hpp"
#include "auth/public_key.hpp"
#include "auth/token_verifier.hpp"

namespace natter::auth {
namespace {

using namespace std::chrono_literals;

boost::json::object claims_at(std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  return {{"sub", "u1"},
          {"preferred_username", "bob"},
          {"azp", "ChatClient"},
          {"exp", seconds.count() + 60}};
}

std::string pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void expect_verifies(const TokenSigner& signer) {
  const auto now = std::chrono::system_clock::now();
  const std::string token = signer.sign(claims_at(now));

  const auto header =
      boost::json::parse(*base64url_decode(token.substr(0, token.find('.')))).as_object();
  EXPECT_EQ(header.at("alg").as_string(), signer.algorithm());
  EXPECT_EQ(header.at("typ").as_string(), "JWT");
  EXPECT_EQ(header.at("kid").as_string(), signer.kid());

  auto keys = std::make_shared<KeySet>();
  keys->put(signer.kid(), signer.public_key());
  const auto direct = TokenVerifier({}, keys).verify(token, now);
  ASSERT_TRUE(direct.ok()) << describe(direct.error);
  EXPECT_EQ(direct.identity->username, "bob");

  auto published = std::make_shared<KeySet>();
  const boost::json::object jwk = signer.public_jwk();
  EXPECT_EQ(jwk.at("use").as_string(), "sig");
  EXPECT_FALSE(jwk.contains("d"));
  ASSERT_EQ(published->load_jwks(boost::json::serialize(boost::json::object{{"keys", {jwk}}})), 1);
  EXPECT_TRUE(TokenVerifier({}, published).verify(token, now).ok());
}

TEST(TokenSigner, GeneratesRs256) {
  const TokenSigner signer = TokenSigner::generate_rs256("dev-1");
  EXPECT_EQ(signer.algorithm(), "RS256");
  EXPECT_EQ(signer.kid(), "dev-1");
  EXPECT_EQ(signer.public_jwk().at("kty").as_string(), "RSA");
  expect_verifies(signer);
}

TEST(TokenSigner, PrivatePemRoundTrips) {
  const TokenSigner first = TokenSigner::generate_rs256("a");
  const TokenSigner second = TokenSigner::from_private_pem(first.private_pem(), "a");
  EXPECT_EQ(second.public_jwk(), first.public_jwk());
  // A token from one verifies with the other's public key.
  auto keys = std::make_shared<KeySet>();
  keys->put("a", second.public_key());
  const auto now = std::chrono::system_clock::now();
  EXPECT_TRUE(TokenVerifier({}, keys).verify(first.sign(claims_at(now)), now).ok());
}

TEST(TokenSigner, LoadsEcP256AsEs256) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  const TokenSigner signer = TokenSigner::from_private_pem(pem_of(key.get()), "ec");
  EXPECT_EQ(signer.algorithm(), "ES256");
  EXPECT_EQ(signer.public_jwk().at("crv").as_string(), "P-256");
  expect_verifies(signer);
}

TEST(TokenSigner, MovesKeepTheKey) {
  TokenSigner signer = TokenSigner::generate_rs256("m");
  TokenSigner moved(std::move(signer));
  signer = std::move(moved);
  expect_verifies(signer);
}

TEST(TokenSigner, RefusesWhatIsNotAUsablePrivateKey) {
  EXPECT_THROW(TokenSigner::from_private_pem("not a pem", "x"), std::invalid_argument);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> small(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)), EVP_PKEY_free);
  EXPECT_THROW(TokenSigner::from_private_pem(pem_of(small.get()), "x"), std::invalid_argument);
}

}  // namespace
}  // namespace natter::auth
