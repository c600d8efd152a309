// Verifies a bearer token for any HTTP entry point (the WebSocket upgrade, the REST API): on an
// unknown kid, or before any key set has loaded, it waits once for a JWKS refetch without
// blocking the shard. Knows nothing of where the token came from.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "auth/token_verifier.hpp"
#include "net/server_context.hpp"

namespace natter::net {

boost::asio::awaitable<auth::VerifyResult> check_token(ServerContext& context,
                                                       std::string_view token);

}  // namespace natter::net
