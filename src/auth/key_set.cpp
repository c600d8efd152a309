// The trusted keys by kid, swapped whole: writers build a new map and publish it, readers copy
// the shared_ptr under a short lock and verify against that snapshot without holding anything.
#include "auth/key_set.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "auth/jwk.hpp"
#include "auth/public_key.hpp"

namespace natter::auth {
namespace {

constexpr std::size_t kMaxKeys = 100;  // providers publish a handful; more is a broken document

}  // namespace

int KeySet::load_jwks(std::string_view jwks_json) {
  boost::system::error_code ec;
  const boost::json::value document = boost::json::parse(jwks_json, ec);
  const boost::json::array* entries = nullptr;
  if (!ec && document.is_object()) {
    if (const auto* keys = document.get_object().if_contains("keys"); keys && keys->is_array()) {
      entries = &keys->get_array();
    }
  }
  if (!entries) {
    return -1;  // the caller, which knows where the document came from, logs it
  }

  auto keys = std::make_shared<Map>();
  for (const boost::json::value& entry : *entries) {
    if (!entry.is_object()) {
      spdlog::warn("auth: skipping a JWKS entry that is not an object");
      continue;
    }
    const auto& jwk = entry.get_object();
    const auto* kid_value = jwk.if_contains("kid");
    std::string kid;
    if (kid_value && kid_value->is_string()) {
      kid = kid_value->get_string();
    }
    ParsedJwk parsed = parse_jwk(jwk);
    if (!parsed.key) {
      spdlog::warn("auth: skipping JWKS key kid=\"{}\": {}", kid, parsed.error);
      continue;
    }
    if (keys->size() >= kMaxKeys) {
      spdlog::warn("auth: skipping JWKS key kid=\"{}\": more than {} keys", kid, kMaxKeys);
      continue;
    }
    if (!keys->emplace(kid, std::move(parsed.key)).second) {
      spdlog::warn("auth: skipping JWKS key kid=\"{}\": duplicate kid", kid);
    }
  }
  const int count = static_cast<int>(keys->size());
  std::lock_guard write(write_mutex_);
  replace(std::move(keys));
  return count;
}

void KeySet::put(std::string kid, std::shared_ptr<const PublicKey> key) {
  std::lock_guard write(write_mutex_);
  auto keys = std::make_shared<Map>(*snapshot());
  (*keys)[std::move(kid)] = std::move(key);
  replace(std::move(keys));
}

void KeySet::replace(std::shared_ptr<const Map> keys) {
  std::lock_guard lock(mutex_);
  keys_.swap(keys);
  loaded_ = true;
}

std::shared_ptr<const KeySet::Map> KeySet::snapshot() const {
  std::lock_guard lock(mutex_);
  return keys_;
}

std::shared_ptr<const PublicKey> KeySet::find(std::string_view kid) const {
  const auto keys = snapshot();
  const auto it = keys->find(std::string(kid));
  return it == keys->end() ? nullptr : it->second;
}

bool KeySet::loaded() const {
  std::lock_guard lock(mutex_);
  return loaded_;
}

std::size_t KeySet::size() const { return snapshot()->size(); }

}  // namespace natter::auth
