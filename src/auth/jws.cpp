// Signs and verifies JWS signatures with OpenSSL EVP, converting ECDSA between the JWS form
// (fixed-size r||s) and OpenSSL's DER. Every algorithm natter accepts is in kAlgorithms.
#include "auth/jws.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <boost/json/serialize.hpp>
#include <memory>
#include <stdexcept>

#include "auth/base64url.hpp"

namespace natter::auth {
namespace {

constexpr std::array<Algorithm, 10> kAlgorithms{{
    {"RS256", "RSA", "", "SHA256", false, 0},
    {"RS384", "RSA", "", "SHA384", false, 0},
    {"RS512", "RSA", "", "SHA512", false, 0},
    {"PS256", "RSA", "", "SHA256", true, 0},
    {"PS384", "RSA", "", "SHA384", true, 0},
    {"PS512", "RSA", "", "SHA512", true, 0},
    {"ES256", "EC", "P-256", "SHA256", false, 32},
    {"ES384", "EC", "P-384", "SHA384", false, 48},
    {"ES512", "EC", "P-521", "SHA512", false, 66},
    {"EdDSA", "OKP", "Ed25519", nullptr, false, 0},
}};

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using Bignum = std::unique_ptr<BIGNUM, BnFree>;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// JWS r||s to the DER SEQUENCE OpenSSL verifies; nothing when the length is wrong.
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw, std::size_t coordinate_size) {
  if (raw.size() != 2 * coordinate_size) {
    return std::nullopt;
  }
  EcdsaSig sig(ECDSA_SIG_new());
  Bignum r(BN_bin2bn(bytes(raw), static_cast<int>(coordinate_size), nullptr));
  Bignum s(
      BN_bin2bn(bytes(raw.substr(coordinate_size)), static_cast<int>(coordinate_size), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return std::nullopt;
  }
  // sig owns them now.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) {
    return std::nullopt;
  }
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) {
    return std::nullopt;
  }
  return der;
}

// OpenSSL's DER ECDSA signature to the JWS r||s form.
std::optional<std::string> ecdsa_der_to_raw(std::string_view der, std::size_t coordinate_size) {
  const unsigned char* in = bytes(der);
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) {
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * coordinate_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const int size = static_cast<int>(coordinate_size);
  if (BN_bn2binpad(r, out, size) != size || BN_bn2binpad(s, out + size, size) != size) {
    return std::nullopt;
  }
  return raw;
}

// Sets PSS padding with salt length = digest length (RFC 7518 section 3.5) where needed.
bool configure(const Algorithm& algorithm, EVP_PKEY_CTX* pctx) {
  if (!algorithm.pss) {
    return true;
  }
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

}  // namespace

const Algorithm* find_algorithm(std::string_view name) {
  for (const Algorithm& algorithm : kAlgorithms) {
    if (algorithm.name == name) {
      return &algorithm;
    }
  }
  return nullptr;
}

bool key_fits(const Algorithm& algorithm, const PublicKey& key) {
  if (key.kty() != algorithm.kty || key.crv() != algorithm.crv) {
    return false;
  }
  if (!key.alg().empty() && key.alg() != algorithm.name) {
    return false;
  }
  return key.use().empty() || key.use() == "sig";
}

bool verify_signature(const Algorithm& algorithm, const PublicKey& key,
                      std::string_view signing_input, std::string_view signature) {
  std::string der;
  if (algorithm.kty == "EC") {
    auto converted = ecdsa_raw_to_der(signature, algorithm.coordinate_size);
    if (!converted) {
      return false;
    }
    der = std::move(*converted);
    signature = der;
  } else if (algorithm.kty == "RSA" &&
             signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.get()))) {
    // RFC 8017 8.1.2/8.2.2 step 1: the signature is exactly k octets. OpenSSL
    // alone would take a shorter one as the same integer with its leading zero
    // bytes dropped.
    return false;
  }
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), &pctx, algorithm.digest, nullptr, nullptr, key.get(),
                              nullptr) != 1 ||
      !configure(algorithm, pctx)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(signing_input),
                          signing_input.size()) == 1;
}

std::optional<std::string> sign_bytes(const Algorithm& algorithm, evp_pkey_st* private_key,
                                      std::string_view signing_input) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), &pctx, algorithm.digest, nullptr, nullptr, private_key,
                            nullptr) != 1 ||
      !configure(algorithm, pctx)) {
    return std::nullopt;
  }
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, bytes(signing_input), signing_input.size()) !=
      1) {
    return std::nullopt;
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     bytes(signing_input), signing_input.size()) != 1) {
    return std::nullopt;
  }
  signature.resize(length);
  if (algorithm.kty == "EC") {
    return ecdsa_der_to_raw(signature, algorithm.coordinate_size);
  }
  return signature;
}

std::string sign_compact(const Algorithm& algorithm, evp_pkey_st* private_key,
                         const boost::json::object& header, const boost::json::object& claims) {
  std::string token = base64url_encode(boost::json::serialize(header));
  token += '.';
  token += base64url_encode(boost::json::serialize(claims));
  auto signature = sign_bytes(algorithm, private_key, token);
  if (!signature) {
    throw std::runtime_error("cannot sign a token with " + std::string(algorithm.name));
  }
  token += '.';
  token += base64url_encode(*signature);
  return token;
}

}  // namespace natter::auth
