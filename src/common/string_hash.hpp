// Transparent hashing so maps keyed by std::string can be searched with a string_view
// without building a temporary string.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace natter {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace natter
