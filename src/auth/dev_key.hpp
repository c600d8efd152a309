// The --dev issuer's signing key: made fresh on every start, or kept in a file
// (NATTER_DEV_KEY) so that several --dev instances, or one across restarts, accept each
// other's tokens.
#pragma once

#include <string>

#include "auth/token_signer.hpp"

namespace natter::auth {

// With an empty path, a fresh key. Else the PEM private key in `path`, written there first
// (mode 0600, atomically) when the file does not exist. Throws std::runtime_error naming the
// file when it cannot be read, written or parsed.
TokenSigner dev_signer(const std::string& path);

}  // namespace natter::auth
