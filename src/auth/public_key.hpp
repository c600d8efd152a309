// One trusted verification key: an OpenSSL EVP_PKEY plus what its JWK said about it (kty, crv,
// alg, use), so the verifier can refuse a key that does not fit a token's algorithm.
// Only src/auth includes this; OpenSSL itself stays out of the header (forward declaration).
#pragma once

#include <memory>
#include <string>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace natter::auth {

class PublicKey {
 public:
  // Takes ownership of `pkey`. kty is "RSA", "EC" or "OKP"; crv the JWK curve name ("P-256",
  // "Ed25519") or empty for RSA; alg and use are the JWK's own members, empty when absent.
  PublicKey(evp_pkey_st* pkey, std::string kty, std::string crv, std::string alg = {},
            std::string use = {});

  // Takes ownership of `pkey` (public or private; only the public half is used) and works out
  // kty and crv from it. Returns null (and frees `pkey`) for a key type natter cannot verify.
  static std::shared_ptr<const PublicKey> adopt(evp_pkey_st* pkey, std::string alg = {});

  evp_pkey_st* get() const { return pkey_.get(); }
  const std::string& kty() const { return kty_; }
  const std::string& crv() const { return crv_; }
  const std::string& alg() const { return alg_; }
  const std::string& use() const { return use_; }

 private:
  struct Free {
    void operator()(evp_pkey_st* pkey) const;
  };
  std::unique_ptr<evp_pkey_st, Free> pkey_;
  std::string kty_;
  std::string crv_;
  std::string alg_;
  std::string use_;
};

// What an EVP_PKEY is in JWK terms: kty "RSA", "EC" or "OKP" (empty when natter cannot use
// it) and the curve ("P-256", "P-384", "P-521", "Ed25519"; empty for RSA).
struct KeyKind {
  std::string kty;
  std::string crv;
};
KeyKind key_kind(const evp_pkey_st* pkey);

}  // namespace natter::auth
