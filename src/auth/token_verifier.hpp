// Verifies a JWT against the trusted key set and the configured claims policy.
// CPU only: never touches the network, safe to call from any thread at once.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/identity.hpp"
#include "auth/key_set.hpp"

namespace natter::auth {

struct VerifierSettings {
  std::string issuer;                        // checked against `iss` when not empty
  std::vector<std::string> audiences;        // one must be in `aud` or equal `azp`, when any
  std::vector<std::string> allowed_clients;  // `azp` must be one of them, when any
  std::string admin_role = "admin";
  std::string role_claim = "realm_access.roles";  // dotted path to an array of strings
  std::chrono::seconds leeway{30};                // allowed clock skew for exp/nbf/iat
};

struct VerifyResult {
  std::optional<Identity> identity;  // set when the token is good
  TokenError error{};                // meaningful only when identity is empty
  std::string kid;                   // the header's kid, for the unknown-key refetch

  bool ok() const { return identity.has_value(); }
};

class TokenVerifier {
 public:
  TokenVerifier(VerifierSettings settings, std::shared_ptr<const KeySet> keys);

  VerifyResult verify(std::string_view token, std::chrono::system_clock::time_point now) const;

  const VerifierSettings& settings() const { return settings_; }

 private:
  VerifierSettings settings_;
  std::shared_ptr<const KeySet> keys_;
};

}  // namespace natter::auth
