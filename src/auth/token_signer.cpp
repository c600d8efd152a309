// Holds a private key natter owns (the --dev issuer, natter-bench) and mints compact JWTs with
// it. Production natter never signs; this file must stay out of the verification path.
#include "auth/token_signer.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "auth/jwk.hpp"
#include "auth/jws.hpp"
#include "auth/public_key.hpp"

namespace natter::auth {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

// The algorithm natter signs with for this kind of key.
std::string algorithm_for(const KeyKind& kind) {
  if (kind.kty == "RSA") {
    return "RS256";
  }
  if (kind.crv == "P-256") {
    return "ES256";
  }
  if (kind.crv == "P-384") {
    return "ES384";
  }
  if (kind.crv == "P-521") {
    return "ES512";
  }
  if (kind.crv == "Ed25519") {
    return "EdDSA";
  }
  throw std::invalid_argument("signing key must be RSA, EC P-256/P-384/P-521 or Ed25519");
}

}  // namespace

struct TokenSigner::Key {
  struct Free {
    void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
  };
  std::unique_ptr<EVP_PKEY, Free> pkey;
};

TokenSigner::TokenSigner(std::unique_ptr<Key> key, std::string kid, std::string alg)
    : key_(std::move(key)), kid_(std::move(kid)), alg_(std::move(alg)) {}

TokenSigner::TokenSigner(TokenSigner&&) noexcept = default;
TokenSigner& TokenSigner::operator=(TokenSigner&&) noexcept = default;
TokenSigner::~TokenSigner() = default;

TokenSigner TokenSigner::generate_rs256(std::string kid) {
  auto key = std::make_unique<Key>();
  key->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  if (!key->pkey) {
    throw std::runtime_error("cannot generate an RSA-2048 key");
  }
  return TokenSigner(std::move(key), std::move(kid), "RS256");
}

TokenSigner TokenSigner::from_private_pem(const std::string& pem, std::string kid) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  auto key = std::make_unique<Key>();
  if (bio) {
    key->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  }
  if (!key->pkey) {
    throw std::invalid_argument("not a PEM private key");
  }
  const KeyKind kind = key_kind(key->pkey.get());
  if (kind.kty == "RSA" && EVP_PKEY_get_bits(key->pkey.get()) < 2048) {
    throw std::invalid_argument("RSA signing key under 2048 bits");
  }
  std::string alg = algorithm_for(kind);
  return TokenSigner(std::move(key), std::move(kid), std::move(alg));
}

std::string TokenSigner::sign(const boost::json::object& claims) const {
  const boost::json::object header{{"alg", alg_}, {"typ", "JWT"}, {"kid", kid_}};
  return sign_compact(*find_algorithm(alg_), key_->pkey.get(), header, claims);
}

boost::json::object TokenSigner::public_jwk() const {
  return auth::public_jwk(key_->pkey.get(), kid_, alg_);
}

std::shared_ptr<const PublicKey> TokenSigner::public_key() const {
  // Rebuilt from the JWK, so the key set never holds the private half.
  ParsedJwk parsed = parse_jwk(public_jwk());
  if (!parsed.key) {
    throw std::runtime_error("cannot export the signing key: " + parsed.error);
  }
  return parsed.key;
}

std::string TokenSigner::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    throw std::runtime_error("cannot write the signing key as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace natter::auth
