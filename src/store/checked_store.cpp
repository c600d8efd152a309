// The checking wrapper; see checked_store.hpp. Each call checks its arguments in the order the
// backends used to, then forwards; storable() stays in the backends' insert loops (per row).
#include "store/checked_store.hpp"

#include <utility>

#include "store/store_rules.hpp"

namespace natter::store {

CheckedStore::CheckedStore(std::unique_ptr<chat::Store> backend) : backend_(std::move(backend)) {}

// --- channels -------------------------------------------------------------------------

Result<std::vector<chat::Channel>> CheckedStore::channels() { return backend_->channels(); }

Result<chat::Channel> CheckedStore::create_channel(const std::string& name,
                                                   const std::string& description) {
  if (auto s = check_channel_name(name); !s) return s.error();
  if (auto s = check_channel_description(description); !s) return s.error();
  return backend_->create_channel(name, description);
}

Status CheckedStore::update_channel(const chat::ChannelUpdate& update) {
  if (update.name) {
    if (auto s = check_channel_name(*update.name); !s) return s;
  }
  if (update.description) {
    if (auto s = check_channel_description(*update.description); !s) return s;
  }
  return backend_->update_channel(update);
}

Status CheckedStore::reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) {
  return backend_->reorder_channel(id, before_id);
}

Status CheckedStore::delete_channel(std::int64_t id, bool purge) {
  return backend_->delete_channel(id, purge);
}

Result<std::vector<chat::Channel>> CheckedStore::seed_channels(
    const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (auto s = check_channel_name(name); !s) return s.error();
  }
  return backend_->seed_channels(names);
}

// --- user directory and sessions --------------------------------------------------------

Status CheckedStore::upsert_user(const std::string& id, const std::string& username,
                                 chat::TimePoint seen_at) {
  return backend_->upsert_user(id, username, seen_at);
}

Result<std::optional<std::string>> CheckedStore::username_of(const std::string& id) {
  return backend_->username_of(id);
}

Result<std::vector<chat::UserRecord>> CheckedStore::search_users(const std::string& fragment,
                                                                 std::int64_t limit) {
  auto capped = page_limit(limit);
  if (!capped) return capped.error();
  return backend_->search_users(fragment, *capped);
}

Result<std::int64_t> CheckedStore::open_session(const std::string& user_id, chat::TimePoint start,
                                                const std::string& server_id) {
  return backend_->open_session(user_id, start, server_id);
}

Status CheckedStore::close_session(std::int64_t session_id, chat::TimePoint end) {
  return backend_->close_session(session_id, end);
}

Status CheckedStore::close_open_sessions(chat::TimePoint now,
                                         const std::optional<std::string>& server_id) {
  return backend_->close_open_sessions(now, server_id);
}

Result<std::vector<chat::DayActivity>> CheckedStore::session_activity(const std::string& user_id,
                                                                      int days,
                                                                      chat::TimePoint now) {
  return backend_->session_activity(user_id, days, now);
}

// --- messages --------------------------------------------------------------------------

Result<chat::Store::InsertOutcome> CheckedStore::insert_messages(
    std::span<const chat::ChatMessage> public_messages,
    std::span<const chat::PrivateMessage> private_messages) {
  return backend_->insert_messages(public_messages, private_messages);
}

Result<chat::StoredIds> CheckedStore::stored_ids() { return backend_->stored_ids(); }

Result<std::vector<chat::ChatMessage>> CheckedStore::public_after(std::int64_t since,
                                                                  std::int64_t limit) {
  if (auto s = check_count(limit); !s) return s.error();
  return backend_->public_after(since, limit);
}

Result<std::vector<chat::PrivateMessage>> CheckedStore::recent_private(const std::string& user_id,
                                                                       std::int64_t limit) {
  if (auto s = check_count(limit); !s) return s.error();
  return backend_->recent_private(user_id, limit);
}

Result<chat::Page<chat::ChatMessage>> CheckedStore::search_messages(
    const chat::MessageQuery& query) {
  auto plan = plan_search(query);
  if (!plan) return plan.error();
  if (plan->matches_nothing()) return chat::Page<chat::ChatMessage>{};
  chat::MessageQuery capped = query;
  capped.limit = plan->limit;
  return backend_->search_messages(capped);
}

Result<std::vector<std::int64_t>> CheckedStore::delete_messages(std::span<const std::int64_t> ids) {
  return backend_->delete_messages(ids);
}

Result<std::vector<chat::ChannelCount>> CheckedStore::message_counts() {
  return backend_->message_counts();
}

// --- bans ------------------------------------------------------------------------------

Result<chat::BanRecord> CheckedStore::ban(const chat::NewBan& ban) {
  if (ban.duration_hours && *ban.duration_hours < 0) {
    return Error{Error::Kind::invalid, "duration must not be negative"};
  }
  return backend_->ban(ban);
}

Result<chat::BanRecord> CheckedStore::pardon(std::int64_t ban_id) {
  return backend_->pardon(ban_id);
}

Result<std::optional<chat::BanRecord>> CheckedStore::active_ban(const std::string& user_id,
                                                                chat::TimePoint now) {
  return backend_->active_ban(user_id, now);
}

Result<chat::Page<chat::BanRecord>> CheckedStore::ban_records(std::int64_t limit,
                                                              std::int64_t offset) {
  auto capped = page_limit(limit);
  if (!capped) return capped.error();
  if (auto s = check_offset(offset); !s) return s.error();
  return backend_->ban_records(*capped, offset);
}

// --- settings --------------------------------------------------------------------------

Result<chat::RateLimitRow> CheckedStore::rate_limit(const chat::RateLimitRow& seed) {
  if (auto s = check_rate_limit(seed); !s) return s.error();
  return backend_->rate_limit(seed);
}

Status CheckedStore::set_rate_limit(const chat::RateLimitRow& limit) {
  if (auto s = check_rate_limit(limit); !s) return s;
  if (limit.id != 1) return Error{Error::Kind::not_found, "no rate limit with that id"};
  return backend_->set_rate_limit(limit);
}

Result<chat::ServerIdentity> CheckedStore::server_identity(const std::string& name) {
  return backend_->server_identity(name);
}

}  // namespace natter::store
