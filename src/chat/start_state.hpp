// What the store says when natter starts: the channels (seeded on a first start), the rate
// limit (seeded from the settings), this server's identity and the highest stored cacheIDs;
// and the repair of what a crash left behind (sessions still open) when no other instance runs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chat/message.hpp"
#include "chat/ports.hpp"
#include "chat/store.hpp"
#include "common/result.hpp"

namespace natter::chat {

struct StartSettings {
  std::vector<std::string> channels;  // seeded when the store has none (first start)
  RateLimit rate_limit_seed;          // the rate-limit row when the store has none
  std::string server_name;            // the identity's name when the store has none
  // No other instance shares the store (no Valkey): every session still open was left by a
  // crash. With other instances, a dead one's sessions are closed when its heartbeat expires.
  bool single_instance = true;
};

struct StartState {
  std::vector<Channel> channels;
  RateLimit rate_limit;
  ServerIdentity identity;
  StoredIds ids;
};

// Reads the start state, then, single instance only, closes the sessions a crash left open (a
// failure there is logged, not fatal). Throws std::runtime_error when a read fails.
StartState read_start_state(Store& store, const StartSettings& settings);

// The rate limit as the store holds it, the row created from `seed` when absent.
Result<RateLimit> stored_rate_limit(Store& store, const RateLimit& seed);

// A reader of stored_rate_limit for whoever reloads the limit later (the Valkey bus): nullopt
// when the store fails. `store` must outlive it.
std::function<std::optional<RateLimit>()> rate_limit_reader(Store& store, RateLimit seed);

}  // namespace natter::chat
