// Where natter-bench gets its JWTs, all before anything is measured: fetched from natter's
// `--dev` issuer (GET /dev/token, over Beast) or minted here with a private key the target
// natter trusts (natter::auth::TokenSigner). One token per distinct username.
#pragma once

#include <string>
#include <vector>

namespace natter::bench {

class Options;

struct TokenSettings {
  std::string token_url;    // http://127.0.0.1:8080/dev/token
  std::string signing_key;  // PEM file; used when token_url is empty
  std::string kid;
  std::string issuer;
  std::string audience;
  std::string client = "ChatClient";
  long ttl_seconds = 3600;
  int concurrency = 4;  // HTTP requests in flight while fetching
};

TokenSettings read_token_settings(Options& options);

struct UserToken {
  std::string username;
  std::string sub;  // from the token's claims: what private messages are addressed to
  std::string token;
};

// One token per username, in the same order; throws std::runtime_error naming the cause.
std::vector<UserToken> obtain_tokens(const TokenSettings& settings,
                                     const std::vector<std::string>& usernames);

}  // namespace natter::bench
