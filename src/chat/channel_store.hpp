// The channel half of the Store port: the list of channels, their names, descriptions and order.
// Knows nothing of messages, users or any database; see store.hpp for the threading contract.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat/message.hpp"
#include "common/result.hpp"

namespace natter::chat {

struct ChannelUpdate {
  std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<std::string> description;
};

class ChannelStore {
 public:
  virtual ~ChannelStore() = default;

  // All channels, ordered by sort_order then id.
  virtual Result<std::vector<Channel>> channels() = 0;
  // conflict when the name exists (compared without regard to case, chat/channel_name.hpp);
  // invalid when name is empty or over 64 bytes, or the
  // description over 512 bytes. New channels go last.
  virtual Result<Channel> create_channel(const std::string& name,
                                         const std::string& description) = 0;
  virtual Status update_channel(const ChannelUpdate& update) = 0;  // not_found, conflict, invalid
  // Moves a channel before another one, or last when before_id is empty.
  virtual Status reorder_channel(std::int64_t id, std::optional<std::int64_t> before_id) = 0;
  // Deletes a channel; with purge, its messages too. not_found when absent.
  virtual Status delete_channel(std::int64_t id, bool purge) = 0;
  // Seeds channels when the store has none (first start). Returns what is there after.
  virtual Result<std::vector<Channel>> seed_channels(const std::vector<std::string>& names) = 0;
};

}  // namespace natter::chat
