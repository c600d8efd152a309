// The message half of the Store port: storing public and private messages, replaying and
// searching them, deleting them. Knows nothing of channels' order, users or any database.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chat/message.hpp"
#include "common/result.hpp"

namespace natter::chat {

struct MessageQuery {
  std::vector<std::string> channels;  // empty: all
  std::string keyword;                // full-text search when not empty
  std::string user_id;                // author, when not empty
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
};

struct ChannelCount {
  std::string channel;
  std::int64_t message_count = 0;
};

struct StoredIds {
  std::int64_t max_public_cache_id = 0;
  std::int64_t max_private_cache_id = 0;
};

class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // One transaction; idempotent on cache_id (a message already stored is skipped). When the
  // batch is refused as a whole, implementations retry row by row so one bad row does not
  // hold back the others; rows still refused are returned by cache id in `rejected`.
  struct InsertOutcome {
    std::vector<std::int64_t> rejected_public;
    std::vector<std::int64_t> rejected_private;
  };
  virtual Result<InsertOutcome> insert_messages(
      std::span<const ChatMessage> public_messages,
      std::span<const PrivateMessage> private_messages) = 0;
  virtual Result<StoredIds> stored_ids() = 0;
  // Public messages with cache_id > since, oldest first, at most limit (reconnect replay).
  virtual Result<std::vector<ChatMessage>> public_after(std::int64_t since, std::int64_t limit) = 0;
  // The last `limit` private messages sent by or to user_id, oldest first.
  virtual Result<std::vector<PrivateMessage>> recent_private(const std::string& user_id,
                                                             std::int64_t limit) = 0;
  // Newest first; has_more when more match past offset+limit.
  virtual Result<Page<ChatMessage>> search_messages(const MessageQuery& query) = 0;
  // Deletes public messages by row id; returns the cache ids of those deleted.
  virtual Result<std::vector<std::int64_t>> delete_messages(std::span<const std::int64_t> ids) = 0;
  virtual Result<std::vector<ChannelCount>> message_counts() = 0;
};

}  // namespace natter::chat
