// Mints signed JWTs with a key natter holds itself: the `--dev` local issuer and natter-bench.
// Production natter never signs tokens; it only verifies the provider's.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>

namespace natter::auth {

class PublicKey;

class TokenSigner {
 public:
  // A fresh RSA-2048 key signing RS256 tokens under `kid`.
  static TokenSigner generate_rs256(std::string kid);
  // A PKCS#8 or traditional PEM private key (RSA -> RS256, P-256 -> ES256).
  static TokenSigner from_private_pem(const std::string& pem, std::string kid);

  TokenSigner(TokenSigner&&) noexcept;
  TokenSigner& operator=(TokenSigner&&) noexcept;
  ~TokenSigner();

  // header {"alg","typ":"JWT","kid"} . claims, signed.
  std::string sign(const boost::json::object& claims) const;

  const std::string& kid() const { return kid_; }
  const std::string& algorithm() const { return alg_; }
  boost::json::object public_jwk() const;  // {"kty","kid","alg","use":"sig",...}
  std::shared_ptr<const PublicKey> public_key() const;
  std::string private_pem() const;

 private:
  struct Key;
  TokenSigner(std::unique_ptr<Key> key, std::string kid, std::string alg);
  std::unique_ptr<Key> key_;
  std::string kid_;
  std::string alg_;
};

}  // namespace natter::auth
