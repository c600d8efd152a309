// Verifies a compact JWT: bounded and strict decoding first, then the key (by kid), then the
// signature, then the claims policy. Garbage is refused as malformed before any key lookup, so
// it can never trigger a JWKS refetch.
#include "auth/token_verifier.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>

#include "auth/base64url.hpp"
#include "auth/jws.hpp"
#include "auth/public_key.hpp"
#include "common/limits.hpp"

namespace natter::auth {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::size_t kMaxTokenBytes = Limits::token_bytes;
// NumericDates are clamped to +-this many seconds (about year 2223) so that time_point
// arithmetic on nanosecond clocks can never overflow.
constexpr std::int64_t kMaxEpochSeconds = 8'000'000'000;

// A base64url part holding a JSON object; nothing when it is anything else.
std::optional<boost::json::object> decode_object(std::string_view part) {
  const auto json = base64url_decode(part);
  if (!json) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*json, ec);
  if (ec || !value.is_object()) {
    return std::nullopt;
  }
  return std::move(value.get_object());
}

// A NumericDate (RFC 7519 section 2), or nothing when `value` is not a finite number.
std::optional<Clock::time_point> numeric_date(const boost::json::value& value) {
  double seconds = 0;
  if (value.is_int64()) {
    seconds = static_cast<double>(
        std::clamp<std::int64_t>(value.get_int64(), -kMaxEpochSeconds, kMaxEpochSeconds));
  } else if (value.is_uint64()) {
    seconds = static_cast<double>(
        std::min<std::uint64_t>(value.get_uint64(), static_cast<std::uint64_t>(kMaxEpochSeconds)));
  } else if (value.is_double() && std::isfinite(value.get_double())) {
    seconds = std::clamp(value.get_double(), -static_cast<double>(kMaxEpochSeconds),
                         static_cast<double>(kMaxEpochSeconds));
  } else {
    return std::nullopt;
  }
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

// The claims the policy looks at, each checked for its JSON type.
struct Claims {
  std::string subject;
  std::string username;
  std::string client_id;
  Clock::time_point expires_at;
  std::optional<Clock::time_point> not_before;
  std::optional<std::string_view> issuer;
  std::vector<std::string_view> audiences;
};

// Reads a required string claim: missing_claim when absent or empty, malformed when not a
// string.
std::optional<TokenError> required_string(const boost::json::object& claims, std::string_view name,
                                          std::string& out) {
  const auto* value = claims.if_contains(name);
  if (!value) {
    return TokenError::missing_claim;
  }
  if (!value->is_string()) {
    return TokenError::malformed;
  }
  out = value->get_string();
  if (out.empty()) {
    return TokenError::missing_claim;
  }
  return std::nullopt;
}

std::optional<TokenError> read_claims(const boost::json::object& object, Claims& claims) {
  for (const auto& [name, out] :
       {std::pair{"sub", &claims.subject}, std::pair{"preferred_username", &claims.username},
        std::pair{"azp", &claims.client_id}}) {
    if (auto error = required_string(object, name, *out)) {
      return error;
    }
  }
  const auto* exp = object.if_contains("exp");
  if (!exp) {
    return TokenError::missing_claim;
  }
  const auto expires_at = numeric_date(*exp);
  if (!expires_at) {
    return TokenError::malformed;
  }
  claims.expires_at = *expires_at;
  if (const auto* nbf = object.if_contains("nbf")) {
    claims.not_before = numeric_date(*nbf);
    if (!claims.not_before) {
      return TokenError::malformed;
    }
  }
  if (const auto* iat = object.if_contains("iat"); iat && !numeric_date(*iat)) {
    return TokenError::malformed;
  }
  if (const auto* iss = object.if_contains("iss")) {
    if (!iss->is_string()) {
      return TokenError::malformed;
    }
    claims.issuer = std::string_view(iss->get_string());
  }
  if (const auto* aud = object.if_contains("aud")) {
    if (aud->is_string()) {
      claims.audiences.emplace_back(aud->get_string());
    } else if (aud->is_array()) {
      for (const auto& entry : aud->get_array()) {
        if (!entry.is_string()) {
          return TokenError::malformed;
        }
        claims.audiences.emplace_back(entry.get_string());
      }
    } else {
      return TokenError::malformed;
    }
  }
  return std::nullopt;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The configured policy: validity window, issuer, audience, client.
std::optional<TokenError> check_policy(const VerifierSettings& settings, const Claims& claims,
                                       Clock::time_point now) {
  if (claims.expires_at + settings.leeway < now) {
    return TokenError::expired;
  }
  if (claims.not_before && *claims.not_before - settings.leeway > now) {
    return TokenError::not_yet_valid;
  }
  if (!settings.issuer.empty() && claims.issuer != settings.issuer) {
    return TokenError::wrong_issuer;
  }
  if (!settings.audiences.empty()) {
    // Keycloak often names the client only in azp, so azp counts as an audience.
    const bool listed =
        contains(settings.audiences, claims.client_id) ||
        std::any_of(claims.audiences.begin(), claims.audiences.end(),
                    [&](std::string_view aud) { return contains(settings.audiences, aud); });
    if (!listed) {
      return TokenError::wrong_audience;
    }
  }
  if (!settings.allowed_clients.empty() && !contains(settings.allowed_clients, claims.client_id)) {
    return TokenError::client_not_allowed;
  }
  return std::nullopt;
}

// True when the array of strings at the dotted `path` holds `role`.
bool has_role(const boost::json::object& claims, std::string_view path, std::string_view role) {
  const boost::json::object* object = &claims;
  while (true) {
    const auto dot = path.find('.');
    const auto* value = object->if_contains(path.substr(0, dot));
    if (!value) {
      return false;
    }
    if (dot == std::string_view::npos) {
      if (!value->is_array()) {
        return false;
      }
      const auto& roles = value->get_array();
      return std::any_of(roles.begin(), roles.end(), [&](const boost::json::value& entry) {
        return entry.is_string() && entry.get_string() == role;
      });
    }
    if (!value->is_object()) {
      return false;
    }
    object = &value->get_object();
    path.remove_prefix(dot + 1);
  }
}

// The key for this token: by kid, or without one the single key that fits the algorithm.
std::shared_ptr<const PublicKey> select_key(const KeySet& keys, const Algorithm& algorithm,
                                            const std::optional<std::string>& kid) {
  if (kid) {
    return keys.find(*kid);
  }
  std::shared_ptr<const PublicKey> chosen;
  for (const auto& [name, key] : *keys.snapshot()) {
    if (key_fits(algorithm, *key)) {
      if (chosen) {
        return nullptr;
      }
      chosen = key;
    }
  }
  return chosen;
}

}  // namespace

TokenVerifier::TokenVerifier(VerifierSettings settings, std::shared_ptr<const KeySet> keys)
    : settings_(std::move(settings)), keys_(std::move(keys)) {}

VerifyResult TokenVerifier::verify(std::string_view token, Clock::time_point now) const {
  VerifyResult result;
  const auto fail = [&result](TokenError error) {
    result.error = error;
    return result;
  };
  if (token.size() > kMaxTokenBytes) {
    return fail(TokenError::malformed);
  }
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot == token.npos ? token.npos : first_dot + 1);
  if (second_dot == token.npos || token.find('.', second_dot + 1) != token.npos) {
    return fail(TokenError::malformed);
  }
  const std::string_view signing_input = token.substr(0, second_dot);

  const auto header = decode_object(token.substr(0, first_dot));
  if (!header) {
    return fail(TokenError::malformed);
  }
  const auto* alg = header->if_contains("alg");
  const auto* kid = header->if_contains("kid");
  if (!alg || !alg->is_string() || (kid && !kid->is_string()) || header->contains("crit")) {
    return fail(TokenError::malformed);
  }
  std::optional<std::string> key_id;
  if (kid) {
    key_id = std::string(kid->get_string());
    result.kid = *key_id;
  }
  const Algorithm* algorithm = find_algorithm(alg->get_string());
  if (!algorithm) {
    return fail(TokenError::unsupported_algorithm);
  }

  const auto claims = decode_object(token.substr(first_dot + 1, second_dot - first_dot - 1));
  const auto signature = base64url_decode(token.substr(second_dot + 1));
  if (!claims || !signature) {
    return fail(TokenError::malformed);
  }

  if (!keys_ || !keys_->loaded()) {
    return fail(TokenError::keys_unavailable);
  }
  const auto key = select_key(*keys_, *algorithm, key_id);
  if (!key) {
    return fail(TokenError::unknown_key);
  }
  if (!key_fits(*algorithm, *key)) {
    return fail(TokenError::key_mismatch);
  }
  if (!verify_signature(*algorithm, *key, signing_input, *signature)) {
    return fail(TokenError::bad_signature);
  }

  Claims fields;
  if (auto error = read_claims(*claims, fields)) {
    return fail(*error);
  }
  if (auto error = check_policy(settings_, fields, now)) {
    return fail(*error);
  }
  result.identity = Identity{
      .subject = std::move(fields.subject),
      .username = std::move(fields.username),
      .client_id = std::move(fields.client_id),
      .admin = has_role(*claims, settings_.role_claim, settings_.admin_role),
      .expires_at = fields.expires_at,
  };
  return result;
}

}  // namespace natter::auth
