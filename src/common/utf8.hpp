// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), shared
// by the WebSocket reader (RFC 6455 text frames) and the chat protocol's text rule.
#pragma once

#include <string_view>

namespace natter {

bool is_valid_utf8(std::string_view text);

}  // namespace natter
