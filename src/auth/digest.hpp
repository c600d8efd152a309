// Message digests for the rest of natter, so that OpenSSL stays inside auth/.
#pragma once

#include <string>
#include <string_view>

namespace natter::auth {

// The SHA-1 of `text` as 40 lower-case hex digits (Valkey names a script by it).
std::string sha1_hex(std::string_view text);

}  // namespace natter::auth
