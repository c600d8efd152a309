// KeySet: loading JWKS documents (bad entries skipped, non-JWKS refused keeping the old set),
// put() for the dev issuer, and snapshots that stay valid while the set is replaced.
#include "auth/key_set.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <thread>

#include "auth/jwk.hpp"
#include "auth/public_key.hpp"

namespace natter::auth {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

class KeySetTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    ec_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
  }
  static std::string jwks(const boost::json::array& keys) {
    return boost::json::serialize(boost::json::object{{"keys", keys}});
  }
  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
};

EVP_PKEY* KeySetTest::rsa_ = nullptr;
EVP_PKEY* KeySetTest::ec_ = nullptr;

TEST_F(KeySetTest, StartsUnloaded) {
  KeySet keys;
  EXPECT_FALSE(keys.loaded());
  EXPECT_EQ(keys.size(), 0u);
  EXPECT_EQ(keys.find("x"), nullptr);
}

TEST_F(KeySetTest, LoadsUsableKeysAndSkipsTheRest) {
  auto enc = public_jwk(rsa_, "enc", "RSA-OAEP");
  enc["use"] = "enc";
  auto bad_n = public_jwk(rsa_, "bad-n", "RS256");
  bad_n["n"] = "not base64url!";
  auto bad_curve = public_jwk(ec_, "bad-curve", "ES256");
  bad_curve["crv"] = "P-192";
  const boost::json::array entries = {
      public_jwk(rsa_, "rsa", "RS256"),
      public_jwk(ec_, "ec", "ES256"),
      enc,
      bad_n,
      bad_curve,
      boost::json::object{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}},
      "not an object",
      42,
      public_jwk(ec_, "rsa", "ES256"),  // duplicate kid: the first one stays
  };
  KeySet keys;
  EXPECT_EQ(keys.load_jwks(jwks(entries)), 2);
  EXPECT_TRUE(keys.loaded());
  ASSERT_TRUE(keys.find("rsa"));
  EXPECT_EQ(keys.find("rsa")->kty(), "RSA");
  EXPECT_EQ(keys.find("rsa")->alg(), "RS256");
  ASSERT_TRUE(keys.find("ec"));
  EXPECT_EQ(keys.find("ec")->crv(), "P-256");
  for (const char* kid : {"enc", "bad-n", "bad-curve", "hmac"}) {
    EXPECT_EQ(keys.find(kid), nullptr) << kid;
  }
}

TEST_F(KeySetTest, NotAJwksKeepsTheCurrentSet) {
  KeySet keys;
  ASSERT_EQ(keys.load_jwks(jwks({public_jwk(rsa_, "rsa", "RS256")})), 1);
  for (const char* document :
       {"", "<html>down</html>", "[]", "{}", R"({"keys":{}})", R"({"keys":"x"})", "{\"keys\":["}) {
    EXPECT_EQ(keys.load_jwks(document), -1) << document;
    EXPECT_TRUE(keys.find("rsa")) << document;
  }
  EXPECT_EQ(keys.load_jwks(R"({"keys":[]})"), 0);  // a real, empty set replaces it
  EXPECT_EQ(keys.find("rsa"), nullptr);
  EXPECT_TRUE(keys.loaded());
}

TEST_F(KeySetTest, NotAJwksOnAFreshSetLeavesItUnloaded) {
  KeySet keys;
  EXPECT_EQ(keys.load_jwks("nope"), -1);
  EXPECT_FALSE(keys.loaded());
}

TEST_F(KeySetTest, PutAddsOrReplacesOneKey) {
  KeySet keys;
  keys.put("dev", PublicKey::adopt(EVP_PKEY_dup(ec_)));
  EXPECT_TRUE(keys.loaded());
  EXPECT_EQ(keys.size(), 1u);
  const auto first = keys.find("dev");
  keys.put("dev", PublicKey::adopt(EVP_PKEY_dup(rsa_)));
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.find("dev")->kty(), "RSA");
  EXPECT_EQ(first->kty(), "EC");  // an old snapshot stays valid
}

TEST_F(KeySetTest, ReadersSeeWholeSetsWhileWritersSwap) {
  KeySet keys;
  const std::string one = jwks({public_jwk(rsa_, "a", "RS256")});
  const std::string two = jwks({public_jwk(rsa_, "a", "RS256"), public_jwk(ec_, "b", "ES256")});
  keys.load_jwks(one);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      keys.load_jwks(i % 2 ? one : two);
    }
    stop = true;
  });
  while (!stop) {
    const auto snapshot = keys.snapshot();
    EXPECT_TRUE(snapshot->size() == 1 || snapshot->size() == 2);
    EXPECT_TRUE(keys.find("a"));
  }
  writer.join();
}

}  // namespace
}  // namespace natter::auth
