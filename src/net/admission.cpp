// Admission: one store call for the ban and the directory, the caps, the history, the replay.
#include "net/admission.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "chat/moderation.hpp"
#include "common/limits.hpp"
#include "net/worker_call.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

struct StoredReplay {
  std::vector<chat::ChatMessage> messages;  // oldest first
  bool truncated = false;                   // older ones after `since` were left out
};

// The public messages after `since` that a reconnect replay needs from the store, the cache
// holding those from `oldest_cached` (0: none) to `newest_cached`: read in pages, oldest first,
// up to where the cache takes over. cacheIDs count up by one (gaps only where messages were
// deleted), so starting at `max_replay` before the newest bounds the read.
Result<StoredReplay> read_replay(chat::Store& store, std::int64_t since, std::int64_t oldest_cached,
                                 std::int64_t newest_cached, std::size_t max_replay) {
  constexpr auto kPage = static_cast<std::int64_t>(Limits::replay_page);
  std::int64_t newest = newest_cached;
  if (newest == 0) {
    auto ids = store.stored_ids();
    if (!ids) return ids.error();
    newest = ids->max_public_cache_id;
  }
  StoredReplay replay;
  const auto bound = static_cast<std::int64_t>(max_replay);
  std::int64_t after = since;
  if (newest - since > bound) {
    after = newest - bound;
    replay.truncated = true;
  }
  while (replay.messages.size() < max_replay) {
    auto page = store.public_after(after, kPage);
    if (!page) return page.error();
    if (page->empty()) break;
    after = page->back().cache_id;
    replay.messages.insert(replay.messages.end(), std::make_move_iterator(page->begin()),
                           std::make_move_iterator(page->end()));
    if (static_cast<std::int64_t>(page->size()) < kPage) break;
    if (oldest_cached != 0 && after >= oldest_cached - 1) break;
  }
  return replay;
}

// The ban, then (not banned) the user's directory entry, on a worker.
struct Door {
  std::optional<chat::BanRecord> ban;
  bool recorded = true;  // the directory entry was written
};

}  // namespace

asio::awaitable<std::variant<Admission, UpgradeRefusal>> admit(ServerContext& context,
                                                               const auth::Identity& identity,
                                                               std::optional<std::int64_t> since,
                                                               const RequestOrigin& origin) {
  const auto& limits = context.settings.limits;
  auto door_query = [&context, &identity, seen = chat::now_micros()]() -> Result<Door> {
    auto ban = context.moderation.active_ban(identity.subject);
    if (!ban) return ban.error();
    Door door{std::move(*ban)};
    if (!door.ban) {
      if (auto s = context.store.upsert_user(identity.subject, identity.username, seen); !s) {
        spdlog::warn("store: could not record user {}: {}", identity.subject, s.error().message);
        door.recorded = false;
      }
    }
    return door;
  };
  auto door = co_await on_worker(context.workers, std::move(door_query));
  if (!door || !*door) {
    co_return UpgradeRefusal{
        http::status::service_unavailable,          "unavailable", "the store is unavailable",
        metrics::ConnectRefusal::store_unavailable, "refused",     "store unavailable"};
  }
  if ((*door)->ban) {
    co_return UpgradeRefusal{http::status::forbidden, "banned", chat::describe_ban(*(*door)->ban),
                             metrics::ConnectRefusal::banned, "banned"};
  }

  Admission admission;
  const auto full =
      context.connections.acquire(identity.subject, origin.client, limits.max_connections_per_user,
                                  limits.max_connections_per_ip, admission.slot);
  if (full != ConnectionCounter::Full::no) {
    const auto what =
        full == ConnectionCounter::Full::user
            ? fmt::format("{} connections for this user", limits.max_connections_per_user)
            : fmt::format("{} connections from this address", limits.max_connections_per_ip);
    co_return UpgradeRefusal{http::status::too_many_requests, "too_many_connections",
                             "already " + what, metrics::ConnectRefusal::too_many_connections};
  }

  // The user's private history, read from the store on their first connect since start (the
  // cache starts empty of it after a restart). A store failure only costs the replay.
  if (!identity.subject.empty() && !context.cache.private_warm(identity.subject)) {
    auto history_query = [&context, id = identity.subject] {
      return context.store.recent_private(
          id, static_cast<std::int64_t>(context.settings.limits.private_replay));
    };
    auto stored = co_await on_worker(context.workers, std::move(history_query));
    if (stored && *stored) {
      context.cache.warm_private(identity.subject, **stored);
    } else {
      spdlog::warn("store: could not read the private history of user={} id={}", identity.username,
                   identity.subject);
    }
  }

  // A `since` from before what the cache holds: the rest comes from the store, paced.
  if (since) {
    const auto oldest = context.hub.oldest_cached_public_id();
    if (oldest == 0 || *since < oldest - 1) {
      const auto newest = context.hub.newest_cached_public_id();
      const auto span = static_cast<std::uint64_t>(
          std::clamp<std::int64_t>(newest - *since, 1, limits.max_replay));
      const auto pages =
          static_cast<std::size_t>((span + Limits::replay_page - 1) / Limits::replay_page);
      auto wait = context.replay_pacer.reserve(pages, limits.handshake_timeout);
      if (!wait) {
        UpgradeRefusal busy{http::status::service_unavailable,
                            "unavailable",
                            "too many replays at once: retry shortly",
                            metrics::ConnectRefusal::store_unavailable,
                            "refused",
                            "replays are busy"};
        busy.retry_after = "2";
        co_return busy;
      }
      if (*wait > asio::steady_timer::duration::zero()) {
        auto executor = co_await asio::this_coro::executor;
        asio::steady_timer pause(executor, *wait);
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      auto replay_query = [&context, since = *since, oldest, newest] {
        return read_replay(context.store, since, oldest, newest,
                           context.settings.limits.max_replay);
      };
      auto stored = co_await on_worker(context.workers, std::move(replay_query));
      if (stored && *stored) {
        admission.older = std::move((*stored)->messages);
        admission.older_truncated = (*stored)->truncated;
      }
    }
  }
  co_return admission;
}

}  // namespace natter::net
