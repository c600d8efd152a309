// Owns an EVP_PKEY for the key set and tells what kind of key it is (kty, JWK curve name).
// Building keys from JWKs is jwk.cpp's job; using them is jws.cpp's.
#include "auth/public_key.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <array>

namespace natter::auth {

void PublicKey::Free::operator()(evp_pkey_st* pkey) const { EVP_PKEY_free(pkey); }

PublicKey::PublicKey(evp_pkey_st* pkey, std::string kty, std::string crv, std::string alg,
                     std::string use)
    : pkey_(pkey),
      kty_(std::move(kty)),
      crv_(std::move(crv)),
      alg_(std::move(alg)),
      use_(std::move(use)) {}

std::shared_ptr<const PublicKey> PublicKey::adopt(evp_pkey_st* pkey, std::string alg) {
  std::unique_ptr<evp_pkey_st, Free> owned(pkey);
  if (!pkey) {
    return nullptr;
  }
  KeyKind kind = key_kind(pkey);
  if (kind.kty.empty()) {
    return nullptr;
  }
  return std::make_shared<const PublicKey>(owned.release(), std::move(kind.kty),
                                           std::move(kind.crv), std::move(alg));
}

KeyKind key_kind(const evp_pkey_st* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    return {"RSA", {}};
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    return {"OKP", "Ed25519"};
  }
  if (!EVP_PKEY_is_a(pkey, "EC")) {
    return {};
  }
  std::array<char, 64> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &length) != 1) {
    return {};
  }
  const std::string_view name(group.data(), length);
  if (name == "prime256v1" || name == "P-256") {
    return {"EC", "P-256"};
  }
  if (name == "secp384r1" || name == "P-384") {
    return {"EC", "P-384"};
  }
  if (name == "secp521r1" || name == "P-521") {
    return {"EC", "P-521"};
  }
  return {};
}

}  // namespace natter::auth
