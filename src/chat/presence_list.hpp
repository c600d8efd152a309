// Who is connected, kept ready to send: each user's `connected_users` entry is encoded once,
// when they come online, into one buffer kept in order, and the frame is rebuilt (one copy of
// that buffer) only after a change. A connect costs a copy of the list, never a sort, a walk
// over the users or a re-encoding of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chat/frame.hpp"
#include "chat/message.hpp"
#include "common/string_hash.hpp"

namespace natter::chat {

class PresenceList {
 public:
  // Lists the user, or renames them when listed under another username.
  void set(const std::string& id, const std::string& username);
  void erase(const std::string& id);

  std::size_t size() const { return by_id_.size(); }
  // The `connected_users` frame, ordered by username (then id).
  const Frame& frame();
  std::vector<UserStatus> users() const;

 private:
  using Key = std::pair<std::string, std::string>;  // username, id
  // Where the entry of keys_[i] starts in body_.
  std::size_t offset_of(std::size_t i) const;

  std::vector<Key> keys_;               // sorted
  std::vector<std::uint32_t> lengths_;  // each entry's bytes in body_, its comma included
  std::string body_;                    // every entry, in keys_' order, each followed by a comma
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>
      by_id_;    // id -> username
  Frame frame_;  // null after a change
};

}  // namespace natter::chat
