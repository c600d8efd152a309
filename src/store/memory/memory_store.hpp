// The in-memory Store: channels from configuration, nothing durable. Used until the SQLite
// and PostgreSQL stores exist, and by tests that need a store without a database.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "chat/ports.hpp"

namespace natter::store {

class MemoryStore final : public chat::Store {
 public:
  explicit MemoryStore(const std::vector<std::string>& channel_names);

  std::vector<chat::Channel> channels() override;

 private:
  std::mutex mutex_;
  std::vector<chat::Channel> channels_;
};

}  // namespace natter::store
