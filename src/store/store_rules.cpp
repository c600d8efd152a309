// Shared refusals, bounds and conversions for the Store implementations; see store_rules.hpp.
#include "store/store_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>

namespace natter::store {
namespace {

Error invalid(std::string message) { return Error{Error::Kind::invalid, std::move(message)}; }

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

bool is_word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

Status check_channel_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxChannelNameBytes) {
    return invalid(fmt::format("channel name must be 1 to {} bytes", kMaxChannelNameBytes));
  }
  if (has_nul(name)) return invalid("channel name must not contain a NUL byte");
  return ok_status();
}

Status check_channel_description(std::string_view description) {
  if (description.size() > kMaxChannelDescriptionBytes) {
    return invalid("channel description must be at most 512 bytes");
  }
  if (has_nul(description)) return invalid("channel description must not contain a NUL byte");
  return ok_status();
}

bool storable(const chat::ChatMessage& m) {
  return m.message.size() <= kMaxMessageBytes && !has_nul(m.message) && !has_nul(m.owner_id) &&
         !has_nul(m.username) && !has_nul(m.channel);
}

bool storable(const chat::PrivateMessage& m) {
  return m.message.size() <= kMaxMessageBytes && !has_nul(m.message) && !has_nul(m.owner_id) &&
         !has_nul(m.username) && !has_nul(m.recipient_id) && !has_nul(m.recipient);
}

Result<std::int64_t> page_limit(std::int64_t limit) {
  if (limit < 0) return invalid("limit must not be negative");
  return std::min(limit, kMaxPageLimit);
}

Status check_offset(std::int64_t offset) {
  if (offset < 0) return invalid("offset must not be negative");
  return ok_status();
}

Status check_count(std::int64_t count) {
  if (count < 0) return invalid("limit must not be negative");
  return ok_status();
}

Status check_rate_limit(const chat::RateLimitRow& row) {
  if (row.message_limit <= 0 || row.window_seconds <= 0) {
    return invalid("message_limit and window_seconds must both be greater than 0");
  }
  if (has_nul(row.owner_id)) return invalid("owner_id must not contain a NUL byte");
  return ok_status();
}

std::vector<std::string> keyword_tokens(std::string_view keyword) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : keyword) {
    if (is_word_byte(static_cast<unsigned char>(c))) {
      current.push_back(c);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

bool has_keyword(std::string_view keyword) {
  return keyword.find_first_not_of(" \t\r\n\f\v") != std::string_view::npos;
}

std::int64_t activity_window_start(chat::TimePoint now, int days) {
  const std::int64_t us = to_micros(now);
  std::int64_t today = us / kMicrosPerDay * kMicrosPerDay;
  if (us < 0 && us % kMicrosPerDay != 0) today -= kMicrosPerDay;
  return today - static_cast<std::int64_t>(std::max(days, 1) - 1) * kMicrosPerDay;
}

std::string utc_date(std::int64_t micros) {
  const auto day = std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::microseconds>{std::chrono::microseconds{micros}});
  const std::chrono::year_month_day ymd{day};
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text.data();
}

std::string random_uuid() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64{seed};
  }()};
  std::array<unsigned char, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t r = engine();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uuid;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) uuid.push_back('-');
    uuid.push_back(kHex[bytes[i] >> 4]);
    uuid.push_back(kHex[bytes[i] & 0x0f]);
  }
  return uuid;
}

Result<SearchPlan> plan_search(const chat::MessageQuery& query) {
  auto limit = page_limit(query.limit);
  if (!limit) return limit.error();
  if (auto s = check_offset(query.offset); !s) return s.error();
  return SearchPlan{*limit, has_keyword(query.keyword), keyword_tokens(query.keyword)};
}

chat::Page<chat::ChatMessage> page_of(std::vector<chat::ChatMessage> rows, std::int64_t limit) {
  chat::Page<chat::ChatMessage> page{std::move(rows), false};
  if (static_cast<std::int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.has_more = true;
  }
  return page;
}

}  // namespace natter::store
