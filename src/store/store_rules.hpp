// What every Store implementation refuses or bounds the same way (name and message sizes, page
// limits, keyword tokens) and the time conversions they share, so memory, SQLite and PostgreSQL
// agree. Knows nothing of any database.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/store.hpp"
#include "common/limits.hpp"

namespace natter::store {

inline constexpr std::size_t kMaxChannelNameBytes = Limits::channel_name_bytes;
inline constexpr std::size_t kMaxChannelDescriptionBytes = 512;  // a sentence or two
inline constexpr std::size_t kMaxMessageBytes =
    std::size_t{64} * 1024;                         // the WebSocket message limit
inline constexpr std::int64_t kMaxPageLimit = 500;  // bounds one REST response
inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;
inline constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

Status check_channel_name(std::string_view name);
Status check_channel_description(std::string_view description);

// Whether a row can be stored on every backend: message within size, no NUL byte anywhere
// (PostgreSQL text refuses it, so the others refuse it too).
bool storable(const chat::ChatMessage& message);
bool storable(const chat::PrivateMessage& message);

// A page size: negative is invalid, above kMaxPageLimit is capped.
Result<std::int64_t> page_limit(std::int64_t limit);
Status check_offset(std::int64_t offset);
// A message search, checked the same way for every backend: the page size and the keyword's
// words. A keyword with no words matches nothing.
struct SearchPlan {
  std::int64_t limit = 0;
  bool by_keyword = false;
  std::vector<std::string> tokens;
  bool matches_nothing() const { return by_keyword && tokens.empty(); }
};
Result<SearchPlan> plan_search(const chat::MessageQuery& query);
// Turns the limit+1 rows a backend fetched into a page with has_more.
chat::Page<chat::ChatMessage> page_of(std::vector<chat::ChatMessage> rows, std::int64_t limit);

// A replay size (public_after, recent_private): negative is invalid, never capped.
Status check_count(std::int64_t count);
Status check_rate_limit(const chat::RateLimitRow& row);

// The words of a search keyword: runs of letters and digits (any byte >= 0x80 counts as a
// letter, so UTF-8 text stays whole). Empty when the keyword has none.
std::vector<std::string> keyword_tokens(std::string_view keyword);
// Whether the keyword, once trimmed, asks for anything (an all-blank keyword filters nothing).
bool has_keyword(std::string_view keyword);

inline std::int64_t to_micros(chat::TimePoint t) { return t.time_since_epoch().count(); }
inline chat::TimePoint from_micros(std::int64_t us) {
  return chat::TimePoint{std::chrono::microseconds{us}};
}
// The first microsecond of the UTC day `days - 1` days before the day of `now`.
std::int64_t activity_window_start(chat::TimePoint now, int days);
std::string utc_date(std::int64_t micros);  // YYYY-MM-DD

std::string random_uuid();  // version 4, lower-case hex

}  // namespace natter::store
