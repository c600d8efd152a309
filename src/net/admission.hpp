// Whether an authenticated user may open a chat connection now, and what the connection is
// owed before it starts: the ban check and the user's directory entry (one store call, so a
// connected user is always in the directory), the connection caps, the user's private history
// on their first connect since start, and a long public replay read from the store (paced
// server-wide). Refusals carry their HTTP status and the metric and log event they count as.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/identity.hpp"
#include "chat/hub.hpp"
#include "chat/message.hpp"
#include "chat/moderation.hpp"
#include "chat/store.hpp"
#include "common/limits.hpp"
#include "common/worker_pool.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_counter.hpp"
#include "net/replay_pacer.hpp"
#include "net/request_origin.hpp"

namespace natter::net {

// What admission uses; one for all upgrades (the ServerContext holds it).
struct AdmissionServices {
  const Limits& limits;
  chat::Moderation& moderation;  // the ban check
  chat::Store& store;            // the directory, the private history, the long replay
  chat::MessageCache& cache;
  chat::Hub& hub;
  WorkerPool& workers;  // runs the store work off the shards
  ConnectionCounter& connections;
  ReplayPacer& replay_pacer;
};

struct UpgradeRefusal {
  boost::beast::http::status status;
  std::string code;    // the JSON error code
  std::string reason;  // the JSON error message
  metrics::ConnectRefusal metric;
  std::string_view event = "refused";  // the log event
  std::string_view log_reason = {};    // the log line's reason, when not `reason`
  std::optional<std::string> retry_after;
};

struct Admission {
  ConnectionCounter::Slot slot;  // counts the connection until it is dropped
  // Public messages after `since` that the cache no longer holds, oldest first, and whether
  // the replay bound left out older ones.
  std::vector<chat::ChatMessage> older;
  bool older_truncated = false;
};

boost::asio::awaitable<std::variant<Admission, UpgradeRefusal>> admit(
    const AdmissionServices& services, const auth::Identity& identity,
    std::optional<std::int64_t> since, const RequestOrigin& origin);

}  // namespace natter::net
