// The settings half of the Store port: the rate-limit row and this server's persistent
// identity. Knows nothing of channels, messages, users or any database.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace natter::chat {

struct RateLimitRow {
  std::int64_t id = 1;
  std::string owner_id;  // who set it last; empty for the seeded default
  std::int64_t message_limit = 10;
  std::int64_t window_seconds = 60;
};

struct ServerIdentity {
  std::string id;  // stable across restarts
  std::string name;
};

class SettingsStore {
 public:
  virtual ~SettingsStore() = default;

  // The rate-limit row (id 1), created from `seed` when absent.
  virtual Result<RateLimitRow> rate_limit(const RateLimitRow& seed) = 0;
  virtual Status set_rate_limit(const RateLimitRow& limit) = 0;
  // This server's persistent id and name, created on first start.
  virtual Result<ServerIdentity> server_identity(const std::string& name) = 0;
};

}  // namespace natter::chat
