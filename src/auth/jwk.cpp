// Builds OpenSSL 3 keys from JWK members with OSSL_PARAM_BLD and EVP_PKEY_fromdata (no
// deprecated RSA_/EC_KEY calls), and writes the public JWK of a key natter holds itself.
#include "auth/jwk.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <optional>
#include <stdexcept>
#include <string_view>

#include "auth/base64url.hpp"

namespace natter::auth {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;  // bounds the work one JWK can cost

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using Bignum = std::unique_ptr<BIGNUM, BnFree>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A string member, or nothing when absent or not a string.
std::optional<std::string_view> member(const boost::json::object& jwk, std::string_view name) {
  const auto* value = jwk.if_contains(name);
  if (!value || !value->is_string()) {
    return std::nullopt;
  }
  return std::string_view(value->get_string());
}

std::optional<std::string> decoded_member(const boost::json::object& jwk, std::string_view name) {
  const auto text = member(jwk, name);
  if (!text) {
    return std::nullopt;
  }
  return base64url_decode(*text);
}

Bignum to_bignum(std::string_view big_endian) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                          static_cast<int>(big_endian.size()), nullptr));
}

// EVP_PKEY_fromdata for a public key of `type` from the parameters in `bld`.
Pkey from_params(const char* type, OSSL_PARAM_BLD* bld) {
  Params params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return Pkey(pkey);
}

ParsedJwk rsa_key(const boost::json::object& jwk, std::string alg, std::string use) {
  const auto n = decoded_member(jwk, "n");
  const auto e = decoded_member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    return {nullptr, "RSA key without valid n and e"};
  }
  Bignum modulus = to_bignum(*n);
  Bignum exponent = to_bignum(*e);
  if (!modulus || !exponent) {
    return {nullptr, "RSA numbers out of range"};
  }
  const int bits = BN_num_bits(modulus.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return {nullptr, "RSA modulus of " + std::to_string(bits) + " bits"};
  }
  if (!BN_is_odd(exponent.get()) || BN_is_one(exponent.get()) || BN_num_bits(exponent.get()) > 64) {
    return {nullptr, "RSA exponent not usable"};
  }
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return {nullptr, "out of memory"};
  }
  Pkey pkey = from_params("RSA", bld.get());
  if (!pkey) {
    return {nullptr, "OpenSSL refused the RSA key"};
  }
  return {
      std::make_shared<const PublicKey>(pkey.release(), "RSA", "", std::move(alg), std::move(use)),
      {}};
}

ParsedJwk ec_key(const boost::json::object& jwk, std::string alg, std::string use) {
  const auto crv = member(jwk, "crv");
  std::size_t size = 0;
  if (crv == "P-256") {
    size = 32;
  } else if (crv == "P-384") {
    size = 48;
  } else if (crv == "P-521") {
    size = 66;
  } else {
    return {nullptr, "unsupported EC curve"};
  }
  const auto x = decoded_member(jwk, "x");
  const auto y = decoded_member(jwk, "y");
  if (!x || !y || x->size() != size || y->size() != size) {
    return {nullptr, "EC key without valid x and y"};
  }
  const std::string point = '\x04' + *x + *y;  // SEC 1 uncompressed point
  const std::string group(*crv);
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return {nullptr, "out of memory"};
  }
  Pkey pkey = from_params("EC", bld.get());
  if (!pkey) {
    return {nullptr, "EC point not on the curve"};
  }
  return {std::make_shared<const PublicKey>(pkey.release(), "EC", group, std::move(alg),
                                            std::move(use)),
          {}};
}

ParsedJwk okp_key(const boost::json::object& jwk, std::string alg, std::string use) {
  if (member(jwk, "crv") != "Ed25519") {
    return {nullptr, "unsupported OKP curve"};
  }
  const auto x = decoded_member(jwk, "x");
  if (!x || x->size() != 32) {
    return {nullptr, "Ed25519 key without a valid x"};
  }
  Pkey pkey(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (!pkey) {
    return {nullptr, "OpenSSL refused the Ed25519 key"};
  }
  return {std::make_shared<const PublicKey>(pkey.release(), "OKP", "Ed25519", std::move(alg),
                                            std::move(use)),
          {}};
}

std::string bignum_param(const evp_pkey_st* key, const char* name, int pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    throw std::runtime_error(std::string("key has no ") + name);
  }
  Bignum bn(raw);
  const int size = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(size), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) != size) {
    throw std::runtime_error(std::string("key number too large: ") + name);
  }
  return out;
}

}  // namespace

ParsedJwk parse_jwk(const boost::json::object& jwk) {
  for (const char* name : {"kty", "use", "alg", "kid", "crv"}) {
    const auto* value = jwk.if_contains(name);
    if (value && !value->is_string()) {
      return {nullptr, std::string("\"") + name + "\" is not a string"};
    }
  }
  std::string use(member(jwk, "use").value_or(""));
  if (!use.empty() && use != "sig") {
    return {nullptr, "key for use \"" + use + "\", not \"sig\""};
  }
  std::string alg(member(jwk, "alg").value_or(""));
  const auto kty = member(jwk, "kty");
  if (kty == "RSA") {
    return rsa_key(jwk, std::move(alg), std::move(use));
  }
  if (kty == "EC") {
    return ec_key(jwk, std::move(alg), std::move(use));
  }
  if (kty == "OKP") {
    return okp_key(jwk, std::move(alg), std::move(use));
  }
  return {nullptr, "unsupported kty"};
}

boost::json::object public_jwk(const evp_pkey_st* key, const std::string& kid,
                               const std::string& alg) {
  const KeyKind kind = key_kind(key);
  boost::json::object jwk;
  jwk["kty"] = kind.kty;
  if (kind.kty == "RSA") {
    jwk["n"] = base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_RSA_E));
  } else if (kind.kty == "EC" && !kind.crv.empty()) {
    const int size = kind.crv == "P-256" ? 32 : kind.crv == "P-384" ? 48 : 66;
    jwk["crv"] = kind.crv;
    jwk["x"] = base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
    jwk["y"] = base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
  } else if (kind.kty == "OKP") {
    std::string x(32, '\0');
    std::size_t length = x.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(x.data()), &length) !=
            1 ||
        length != x.size()) {
      throw std::runtime_error("cannot read the Ed25519 public key");
    }
    jwk["crv"] = kind.crv;
    jwk["x"] = base64url_encode(x);
  } else {
    throw std::runtime_error("key type has no JWK form here");
  }
  jwk["kid"] = kid;
  jwk["alg"] = alg;
  jwk["use"] = "sig";
  return jwk;
}

}  // namespace natter::auth
