// The in-memory Store; see memory_store.hpp. One mutex guards everything: it is for tests.
#include "store/memory/memory_store.hpp"

#include <algorithm>
#include <cctype>

#include "chat/channel_name.hpp"
#include "store/store_rules.hpp"

namespace natter::store {
namespace {

Error not_found(std::string message) { return Error{Error::Kind::not_found, std::move(message)}; }
Error conflict(std::string message) { return Error{Error::Kind::conflict, std::move(message)}; }

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool matches_keyword(const std::string& message, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return false;
  const std::string haystack = ascii_lower(message);
  return std::all_of(tokens.begin(), tokens.end(), [&](const std::string& token) {
    return haystack.find(ascii_lower(token)) != std::string::npos;
  });
}

bool in_force(const chat::BanRecord& ban, chat::TimePoint now) {
  return !ban.pardoned && (!ban.end || *ban.end > now);
}

}  // namespace

Result<std::vector<chat::Channel>> MemoryStore::channels() {
  std::lock_guard lock(mutex_);
  return channels_;
}

Result<chat::Channel> MemoryStore::create_channel(const std::string& name,
                                                  const std::string& description) {
  std::lock_guard lock(mutex_);
  if (name_taken(name, 0)) return conflict("channel name already exists");
  chat::Channel channel{next_channel_id_++, name, description,
                        channels_.empty() ? 1 : channels_.back().sort_order + 1};
  channels_.push_back(channel);
  return channel;
}

Status MemoryStore::update_channel(const chat::ChannelUpdate& update) {
  std::lock_guard lock(mutex_);
  auto it = find_channel(update.id);
  if (it == channels_.end()) return not_found("no channel with that id");
  if (update.name && name_taken(*update.name, update.id)) {
    return conflict("channel name already exists");
  }
  if (update.name) it->name = *update.name;
  if (update.description) it->description = *update.description;
  return ok_status();
}

Status MemoryStore::reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) {
  std::lock_guard lock(mutex_);
  auto it = find_channel(id);
  if (it == channels_.end()) return not_found("no channel with that id");
  if (before_id && find_channel(*before_id) == channels_.end()) {
    return not_found("no channel with the before_id");
  }
  if (before_id == id) return ok_status();
  chat::Channel moved = *it;
  channels_.erase(it);
  auto at = before_id ? find_channel(*before_id) : channels_.end();
  channels_.insert(at, moved);
  renumber_channels();
  return ok_status();
}

Status MemoryStore::delete_channel(std::int64_t id, bool purge) {
  std::lock_guard lock(mutex_);
  auto it = find_channel(id);
  if (it == channels_.end()) return not_found("no channel with that id");
  if (purge) {
    std::erase_if(public_, [&](const auto& entry) { return entry.second.channel == it->name; });
  }
  channels_.erase(it);
  return ok_status();
}

Result<std::vector<chat::Channel>> MemoryStore::seed_channels(
    const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  if (channels_.empty()) {
    for (const auto& name : names) {
      if (name_taken(name, 0)) continue;
      const auto id = static_cast<std::int64_t>(channels_.size()) + 1;
      channels_.push_back(chat::Channel{id, name, "", id});
    }
    next_channel_id_ = std::max(next_channel_id_, static_cast<std::int64_t>(channels_.size()) + 1);
  }
  return channels_;
}

Status MemoryStore::upsert_user(const std::string& id, const std::string& username,
                                chat::TimePoint seen_at) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = users_.try_emplace(id, User{username, seen_at, seen_at});
  if (!inserted) {
    it->second.username = username;
    it->second.last_seen = seen_at;
  }
  return ok_status();
}

Result<std::optional<std::string>> MemoryStore::username_of(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end()) return std::optional<std::string>{};
  return std::optional<std::string>{it->second.username};
}

Result<std::vector<chat::UserRecord>> MemoryStore::search_users(const std::string& fragment,
                                                                std::int64_t limit) {
  const auto now = chat::now_micros();
  const std::string needle = ascii_lower(fragment);
  std::lock_guard lock(mutex_);
  std::vector<chat::UserRecord> found;
  for (const auto& [id, user] : users_) {
    if (ascii_lower(user.username).find(needle) == std::string::npos) continue;
    found.push_back(chat::UserRecord{id, user.username, active_ban_locked(id, now).has_value()});
  }
  std::sort(found.begin(), found.end(), [&fragment](const auto& a, const auto& b) {
    const bool a_exact = a.username == fragment, b_exact = b.username == fragment;
    return std::tie(b_exact, a.username, a.id) < std::tie(a_exact, b.username, b.id);
  });
  if (static_cast<std::int64_t>(found.size()) > limit) found.resize(limit);
  return found;
}

Result<chat::Store::InsertOutcome> MemoryStore::insert_messages(
    std::span<const chat::ChatMessage> public_messages,
    std::span<const chat::PrivateMessage> private_messages) {
  InsertOutcome outcome;
  std::lock_guard lock(mutex_);
  for (const auto& message : public_messages) {
    if (!storable(message)) {
      outcome.rejected_public.push_back(message.cache_id);
      continue;
    }
    if (public_.contains(message.cache_id)) continue;
    auto& stored = public_[message.cache_id] = message;
    stored.id = next_message_id_++;
  }
  for (const auto& message : private_messages) {
    if (!storable(message)) {
      outcome.rejected_private.push_back(message.cache_id);
      continue;
    }
    if (private_.contains(message.cache_id)) continue;
    auto& stored = private_[message.cache_id] = message;
    stored.id = next_private_id_++;
  }
  return outcome;
}

Result<chat::StoredIds> MemoryStore::stored_ids() {
  std::lock_guard lock(mutex_);
  return chat::StoredIds{public_.empty() ? 0 : public_.rbegin()->first,
                         private_.empty() ? 0 : private_.rbegin()->first};
}

Result<std::vector<chat::ChatMessage>> MemoryStore::public_after(std::int64_t since,
                                                                 std::int64_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<chat::ChatMessage> out;
  for (auto it = public_.upper_bound(since);
       it != public_.end() && static_cast<std::int64_t>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::vector<chat::PrivateMessage>> MemoryStore::recent_private(const std::string& user_id,
                                                                      std::int64_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<chat::PrivateMessage> out;
  for (auto it = private_.rbegin();
       it != private_.rend() && static_cast<std::int64_t>(out.size()) < limit; ++it) {
    if (it->second.owner_id == user_id || it->second.recipient_id == user_id) {
      out.push_back(it->second);
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<chat::Page<chat::ChatMessage>> MemoryStore::search_messages(
    const chat::MessageQuery& query) {
  // Checked and capped by CheckedStore: a keyword reaching here has words.
  const auto tokens = keyword_tokens(query.keyword);
  const bool by_keyword = has_keyword(query.keyword);
  const std::int64_t limit = query.limit;
  std::lock_guard lock(mutex_);
  chat::Page<chat::ChatMessage> page;
  std::int64_t skipped = 0;
  for (auto it = public_.rbegin(); it != public_.rend(); ++it) {
    const auto& m = it->second;
    if (!query.channels.empty() && std::find(query.channels.begin(), query.channels.end(),
                                             m.channel) == query.channels.end()) {
      continue;
    }
    if (!query.user_id.empty() && m.owner_id != query.user_id) continue;
    if (by_keyword && !matches_keyword(m.message, tokens)) continue;
    if (skipped < query.offset) {
      ++skipped;
      continue;
    }
    if (static_cast<std::int64_t>(page.items.size()) == limit) {
      page.has_more = true;
      break;
    }
    page.items.push_back(m);
  }
  return page;
}

Result<std::vector<std::int64_t>> MemoryStore::delete_messages(std::span<const std::int64_t> ids) {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> deleted;
  for (auto it = public_.begin(); it != public_.end();) {
    if (std::find(ids.begin(), ids.end(), it->second.id.value_or(0)) != ids.end()) {
      deleted.push_back(it->first);
      it = public_.erase(it);
    } else {
      ++it;
    }
  }
  return deleted;
}

Result<std::vector<chat::ChannelCount>> MemoryStore::message_counts() {
  std::lock_guard lock(mutex_);
  std::vector<chat::ChannelCount> counts;
  for (const auto& channel : channels_) {
    const auto n = std::count_if(public_.begin(), public_.end(), [&](const auto& entry) {
      return entry.second.channel == channel.name;
    });
    counts.push_back(chat::ChannelCount{channel.name, static_cast<std::int64_t>(n)});
  }
  return counts;
}

Result<std::int64_t> MemoryStore::open_session(const std::string& user_id, chat::TimePoint start,
                                               const std::string& server_id) {
  std::lock_guard lock(mutex_);
  const auto id = next_session_id_++;
  sessions_[id] = Session{user_id, start, std::nullopt, server_id};
  return id;
}

Status MemoryStore::close_session(std::int64_t session_id, chat::TimePoint end) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return not_found("no session with that id");
  it->second.end = std::max(end, it->second.start);
  return ok_status();
}

Status MemoryStore::close_open_sessions(chat::TimePoint now,
                                        const std::optional<std::string>& server_id) {
  std::lock_guard lock(mutex_);
  for (auto& [id, session] : sessions_) {
    if (server_id && session.server_id != *server_id) continue;
    if (!session.end) session.end = std::max(now, session.start);
  }
  return ok_status();
}

Result<std::vector<chat::DayActivity>> MemoryStore::session_activity(const std::string& user_id,
                                                                     int days,
                                                                     chat::TimePoint now) {
  const std::int64_t from = activity_window_start(now, days);
  const std::int64_t until = activity_window_start(now, 1) + kMicrosPerDay;
  std::lock_guard lock(mutex_);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_day;  // count, micros
  for (const auto& [id, session] : sessions_) {
    const auto start = to_micros(session.start);
    if (start < from || start >= until) continue;
    if (!user_id.empty() && session.user_id != user_id) continue;
    auto& [count, micros] = by_day[utc_date(start)];
    ++count;
    if (session.end) micros += to_micros(*session.end) - start;
  }
  std::vector<chat::DayActivity> out;
  out.reserve(by_day.size());
  for (const auto& [date, totals] : by_day) {
    out.push_back(chat::DayActivity{date, totals.first, totals.second / kMicrosPerSecond});
  }
  return out;
}

Result<chat::BanRecord> MemoryStore::ban(const chat::NewBan& ban) {
  std::lock_guard lock(mutex_);
  chat::BanRecord record;
  record.id = next_ban_id_++;
  record.owner_id = ban.owner_id;
  record.banished_id = ban.banished_id;
  record.reason = ban.reason;
  record.start = ban.start;
  if (ban.duration_hours && *ban.duration_hours > 0) {
    record.duration_hours = ban.duration_hours;
    record.end = ban.start + std::chrono::hours{*ban.duration_hours};
  }
  bans_[record.id] = record;
  return with_username(record);
}

Result<chat::BanRecord> MemoryStore::pardon(std::int64_t ban_id) {
  std::lock_guard lock(mutex_);
  auto it = bans_.find(ban_id);
  if (it == bans_.end()) return not_found("no ban with that id");
  it->second.pardoned = true;
  return with_username(it->second);
}

Result<std::optional<chat::BanRecord>> MemoryStore::active_ban(const std::string& user_id,
                                                               chat::TimePoint now) {
  std::lock_guard lock(mutex_);
  return active_ban_locked(user_id, now);
}

Result<chat::Page<chat::BanRecord>> MemoryStore::ban_records(std::int64_t limit,
                                                             std::int64_t offset) {
  std::lock_guard lock(mutex_);
  chat::Page<chat::BanRecord> page;
  std::int64_t skipped = 0;
  for (auto it = bans_.rbegin(); it != bans_.rend(); ++it) {
    if (skipped < offset) {
      ++skipped;
      continue;
    }
    if (static_cast<std::int64_t>(page.items.size()) == limit) {
      page.has_more = true;
      break;
    }
    page.items.push_back(with_username(it->second));
  }
  return page;
}

Result<chat::RateLimitRow> MemoryStore::rate_limit(const chat::RateLimitRow& seed) {
  std::lock_guard lock(mutex_);
  if (!rate_limit_) {
    rate_limit_ = seed;
    rate_limit_->id = 1;
  }
  return *rate_limit_;
}

Status MemoryStore::set_rate_limit(const chat::RateLimitRow& limit) {
  std::lock_guard lock(mutex_);
  rate_limit_ = limit;
  return ok_status();
}

Result<chat::ServerIdentity> MemoryStore::server_identity(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (!identity_) identity_ = chat::ServerIdentity{random_uuid(), name};
  identity_->name = name;
  return *identity_;
}

std::vector<chat::Channel>::iterator MemoryStore::find_channel(std::int64_t id) {
  return std::find_if(channels_.begin(), channels_.end(),
                      [id](const chat::Channel& c) { return c.id == id; });
}

bool MemoryStore::name_taken(const std::string& name, std::int64_t except_id) const {
  return std::any_of(channels_.begin(), channels_.end(), [&](const chat::Channel& c) {
    return chat::same_channel_name(c.name, name) && c.id != except_id;
  });
}

void MemoryStore::renumber_channels() {
  std::int64_t order = 1;
  for (auto& channel : channels_) channel.sort_order = order++;
}

chat::BanRecord MemoryStore::with_username(chat::BanRecord record) const {
  auto it = users_.find(record.banished_id);
  record.banished_username = it == users_.end() ? std::string{} : it->second.username;
  return record;
}

std::optional<chat::BanRecord> MemoryStore::active_ban_locked(const std::string& user_id,
                                                              chat::TimePoint now) const {
  for (auto it = bans_.rbegin(); it != bans_.rend(); ++it) {
    if (it->second.banished_id == user_id && in_force(it->second, now)) {
      return with_username(it->second);
    }
  }
  return std::nullopt;
}

}  // namespace natter::store
