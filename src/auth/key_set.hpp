// The verification keys currently trusted, by `kid`. Written by the JWKS client (or the dev
// issuer), read by every verifying thread: readers take an immutable snapshot, never a lock
// held across a verification.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace natter::auth {

class PublicKey;  // defined in public_key.hpp; wraps an OpenSSL EVP_PKEY

class KeySet {
 public:
  using Map = std::unordered_map<std::string, std::shared_ptr<const PublicKey>>;

  // Replaces the whole set with the usable keys of a JWKS document ({"keys":[...]}).
  // Keys that cannot be used (use "enc", unknown kty/crv, bad numbers) are skipped and
  // logged. Returns the number of keys loaded, or -1 when the document is not a JWKS
  // (the current set is then kept).
  int load_jwks(std::string_view jwks_json);

  // Adds or replaces one key (the dev issuer's own); the set then counts as loaded.
  void put(std::string kid, std::shared_ptr<const PublicKey> key);

  std::shared_ptr<const PublicKey> find(std::string_view kid) const;
  // The whole current set, immutable; for a token without a kid.
  std::shared_ptr<const Map> snapshot() const;
  bool loaded() const;  // true once any key set was loaded (even an empty one)
  std::size_t size() const;

 private:
  void replace(std::shared_ptr<const Map> keys);

  std::mutex write_mutex_;    // one writer at a time, so put() never loses a concurrent load
  mutable std::mutex mutex_;  // only around copying or swapping keys_
  std::shared_ptr<const Map> keys_ = std::make_shared<const Map>();
  bool loaded_ = false;
};

}  // namespace natter::auth
