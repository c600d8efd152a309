// Base64url without padding (RFC 7515 section 2), the encoding of every JWT part and JWK number.
// Decoding is strict: no padding, no whitespace, no stray bits, so one token has one spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace natter::auth {

std::string base64url_encode(std::string_view bytes);

// The decoded bytes, or nothing when `text` is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace natter::auth
