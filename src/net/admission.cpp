// Admission as the upgrade waits for it: chat/admission.hpp's steps on a worker, the caps, the
// replay's pacing, and each refusal as its HTTP answer.
#include "net/admission.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "chat/admission.hpp"
#include "net/worker_call.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<std::variant<Admission, UpgradeRefusal>> admit(const AdmissionServices& services,
                                                               const auth::Identity& identity,
                                                               std::optional<std::int64_t> since,
                                                               const RequestOrigin& origin) {
  const auto& limits = services.limits;
  auto door_query = [&services, &identity, seen = chat::now_micros()] {
    return chat::pass_door(services.moderation, services.store, identity.subject, identity.username,
                           seen);
  };
  auto door = co_await on_worker(services.workers, std::move(door_query));
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
      services.connections.acquire(identity.subject, origin.client, limits.max_connections_per_user,
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
  if (chat::needs_private_history(services.cache, identity.subject)) {
    auto history_query = [&services, id = identity.subject] {
      return services.store.recent_private(
          id, static_cast<std::int64_t>(services.limits.private_replay));
    };
    auto stored = co_await on_worker(services.workers, std::move(history_query));
    if (stored && *stored) {
      chat::warm_private_history(services.cache, identity.subject, **stored);
    } else {
      spdlog::warn("store: could not read the private history of user={} id={}", identity.username,
                   identity.subject);
    }
  }

  // A `since` from before what the cache holds: the rest comes from the store, paced.
  if (since) {
    if (auto read = chat::plan_replay(services.hub, *since, limits.max_replay)) {
      auto wait = services.replay_pacer.reserve(read->pages, limits.handshake_timeout);
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
      auto replay_query = [&services, read = *read] {
        return chat::read_replay(services.store, read);
      };
      auto stored = co_await on_worker(services.workers, std::move(replay_query));
      if (stored && *stored) {
        admission.older = std::move((*stored)->messages);
        admission.older_truncated = (*stored)->truncated;
      }
    }
  }
  co_return admission;
}

}  // namespace natter::net
