// The connected users, encoded once each, in one ordered buffer.
#include "chat/presence_list.hpp"

#include <algorithm>
#include <numeric>

#include "chat/protocol.hpp"

namespace natter::chat {

std::size_t PresenceList::offset_of(std::size_t i) const {
  return std::accumulate(lengths_.begin(), lengths_.begin() + static_cast<std::ptrdiff_t>(i),
                         std::size_t{0});
}

void PresenceList::set(const std::string& id, const std::string& username) {
  if (auto known = by_id_.find(id); known != by_id_.end()) {
    if (known->second == username) return;
    erase(id);
  }
  by_id_.emplace(id, username);
  Key key{username, id};
  const auto at = std::lower_bound(keys_.begin(), keys_.end(), key);
  const auto i = static_cast<std::size_t>(at - keys_.begin());
  std::string entry = encode_user_status_json({username, id, true});
  entry.push_back(',');
  body_.insert(offset_of(i), entry);
  keys_.insert(at, std::move(key));
  lengths_.insert(lengths_.begin() + static_cast<std::ptrdiff_t>(i),
                  static_cast<std::uint32_t>(entry.size()));
  frame_.reset();
}

void PresenceList::erase(const std::string& id) {
  auto known = by_id_.find(id);
  if (known == by_id_.end()) return;
  const Key key{known->second, id};
  by_id_.erase(known);
  const auto at = std::lower_bound(keys_.begin(), keys_.end(), key);
  if (at == keys_.end() || *at != key) return;
  const auto i = static_cast<std::size_t>(at - keys_.begin());
  body_.erase(offset_of(i), lengths_[i]);
  keys_.erase(at);
  lengths_.erase(lengths_.begin() + static_cast<std::ptrdiff_t>(i));
  frame_.reset();
}

const Frame& PresenceList::frame() {
  if (!frame_) {
    // body_ less its last comma
    frame_ = encode_connected_users_encoded(
        std::string_view(body_).substr(0, body_.empty() ? 0 : body_.size() - 1));
  }
  return frame_;
}

std::vector<UserStatus> PresenceList::users() const {
  std::vector<UserStatus> users;
  users.reserve(keys_.size());
  for (const auto& [username, id] : keys_) users.push_back({username, id, true});
  return users;
}

}  // namespace natter::chat
