// How channel names compare: they are identifiers people type, so `General` and `general` are
// one channel (as on IRC and Slack). ASCII letters only are folded, the same rule the stores
// apply (SQLite's NOCASE, PostgreSQL's lower() under the "C" collation).
#pragma once

#include <string_view>

namespace natter::chat {

constexpr char fold_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

constexpr bool same_channel_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold_ascii(a[i]) != fold_ascii(b[i])) return false;
  }
  return true;
}

}  // namespace natter::chat
