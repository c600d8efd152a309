// The start state read through the Store port, and the crashed sessions closed, in the order
// natter has always done them: every read first, then the repair.
#include "chat/start_state.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace natter::chat {

Result<RateLimit> stored_rate_limit(Store& store, const RateLimit& seed) {
  auto row = store.rate_limit(RateLimitRow{1, "", seed.message_limit, seed.window_seconds});
  if (!row) return row.error();
  return RateLimit{row->message_limit, row->window_seconds};
}

std::function<std::optional<RateLimit>()> rate_limit_reader(Store& store, RateLimit seed) {
  return [&store, seed]() -> std::optional<RateLimit> {
    auto limit = stored_rate_limit(store, seed);
    if (!limit) return std::nullopt;
    return *limit;
  };
}

StartState read_start_state(Store& store, const StartSettings& settings) {
  auto channels = store.seed_channels(settings.channels);
  auto rate = stored_rate_limit(store, settings.rate_limit_seed);
  auto identity = store.server_identity(settings.server_name);
  auto ids = store.stored_ids();
  if (!channels || !rate || !identity || !ids) {
    throw std::runtime_error("store: cannot read the initial state: " +
                             (!channels   ? channels.error()
                              : !rate     ? rate.error()
                              : !identity ? identity.error()
                                          : ids.error())
                                 .message);
  }
  if (settings.single_instance) {
    if (auto closed = store.close_open_sessions(now_micros()); !closed) {
      spdlog::warn("store: could not close sessions left open: {}", closed.error().message);
    }
  }
  return StartState{std::move(*channels), *rate, std::move(*identity), *ids};
}

}  // namespace natter::chat
