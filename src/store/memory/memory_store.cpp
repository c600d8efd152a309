// In-memory store: channel ids follow the configured order, starting at 1.
#include "store/memory/memory_store.hpp"

namespace natter::store {

MemoryStore::MemoryStore(const std::vector<std::string>& channel_names) {
  std::int64_t id = 0;
  for (const auto& name : channel_names) channels_.push_back(chat::Channel{++id, name, {}, 0});
}

std::vector<chat::Channel> MemoryStore::channels() {
  std::lock_guard lock(mutex_);
  return channels_;
}

}  // namespace natter::store
