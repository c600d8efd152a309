// Cutting a presence batch to what each connection has not seen.
#include "chat/presence_batch.hpp"

#include <string>

#include "chat/protocol.hpp"

namespace natter::chat {

PresenceBatch::PresenceBatch(std::uint64_t first_seq, std::span<const UserStatus> changes,
                             Frame list)
    : first_seq_(first_seq), list_(std::move(list)) {
  if (changes.size() == 1) {
    statuses_ = encode_user_status(changes.front());
    ends_.push_back(statuses_->size());
    return;
  }
  std::string all;
  ends_.reserve(changes.size());
  for (const auto& change : changes) {
    all += *encode_user_status(change);
    ends_.push_back(all.size());
  }
  statuses_ = std::make_shared<const std::string>(std::move(all));
}

PresenceBatch::Owed PresenceBatch::owed(std::uint64_t seen) const {
  if (ends_.empty() || seen >= last_seq()) return {};
  // A connection shown nothing of the batch takes it whole; one that connected during it, the
  // changes after its connect.
  const std::size_t from = seen < first_seq_ ? 0 : static_cast<std::size_t>(seen - first_seq_ + 1);
  const std::size_t offset = from == 0 ? 0 : ends_[from - 1];
  const std::size_t bytes = statuses_->size() - offset;
  if (list_ && (list_->size() < bytes || seen + 1 < first_seq_)) {
    return {list_, OutKind::connected_users, 1};
  }
  const std::size_t frames = ends_.size() - from;
  if (from == 0) return {statuses_, OutKind::user_status, frames};
  return {std::make_shared<const std::string>(statuses_->substr(offset)), OutKind::user_status,
          frames};
}

}  // namespace natter::chat
