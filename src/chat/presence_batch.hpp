// Presence changes handed to the shards together: the `user_status` frames of consecutive
// changes, back to back in one buffer, and (when it is smaller for those who have seen none of
// them) the `connected_users` frame they add up to. Every connection remembers the last change
// it was shown, so each is sent exactly what it has not seen, as one buffer: the whole batch,
// the part after its own connect, or the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "chat/chat_metrics.hpp"
#include "chat/frame.hpp"
#include "chat/message.hpp"

namespace natter::chat {

class PresenceBatch {
 public:
  // `changes` are numbered first_seq, first_seq + 1, ...; `list` (may be null) is the
  // `connected_users` frame as of the last of them.
  PresenceBatch(std::uint64_t first_seq, std::span<const UserStatus> changes, Frame list);

  std::uint64_t last_seq() const { return first_seq_ + ends_.size() - 1; }

  struct Owed {
    Frame frame;  // null: nothing
    OutKind kind = OutKind::user_status;
    std::size_t frames = 0;  // protocol messages in `frame`
  };
  // What a connection that has been shown every change up to `seen` is owed.
  Owed owed(std::uint64_t seen) const;

 private:
  std::uint64_t first_seq_;
  Frame statuses_;                 // every change's user_status frame, in order
  std::vector<std::size_t> ends_;  // where each change's frame ends in statuses_
  Frame list_;
};

}  // namespace natter::chat
