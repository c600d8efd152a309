// The upgrade's checks in order, one refusal path, and the hand-over to the session.
#include "net/websocket_upgrade.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <string_view>

#include "common/log_event.hpp"
#include "net/admission.hpp"
#include "net/forwarded.hpp"
#include "net/upgrade_auth.hpp"
#include "net/websocket_session.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;

namespace {

// RFC 6455 4.2.1: the key is the base64 of 16 bytes: 22 characters, the last of them holding
// two bits, then "==".
bool valid_websocket_key(std::string_view key) {
  auto base64 = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  if (key.size() != 24 || key.substr(22) != "==") return false;
  if (!std::all_of(key.begin(), key.begin() + 21, base64)) return false;
  return key[21] == 'A' || key[21] == 'Q' || key[21] == 'g' || key[21] == 'w';
}

metrics::ConnectRefusal refusal_of(const UpgradeDecision& decision) {
  if (decision.error_code == "bad_request") return metrics::ConnectRefusal::bad_request;
  if (decision.error_code == "unavailable") return metrics::ConnectRefusal::keys_unavailable;
  return metrics::ConnectRefusal::unauthorized;
}

// Counts, logs (with the user when known; not at all for a shutdown) and answers a refusal.
asio::awaitable<void> refuse(ServerContext& context, beast::tcp_stream& stream,
                             const Request& request, const UpgradeRefusal& refusal,
                             const RequestOrigin& origin, const auth::Identity* who = nullptr) {
  context.metrics.connect_refused(refusal.metric);
  const std::string_view reason = refusal.log_reason.empty() ? refusal.reason : refusal.log_reason;
  const int status = static_cast<int>(refusal.status);
  if (refusal.metric == metrics::ConnectRefusal::shutting_down) {
    // Said once at shutdown, not once per client.
  } else if (who) {
    log_event(spdlog::level::info, refusal.event,
              {{"code", status},
               {"user", who->username},
               {"sub", who->subject},
               {"reason", reason},
               {"remote", origin.description}});
  } else {
    log_event(spdlog::level::info, refusal.event,
              {{"code", status}, {"reason", reason}, {"remote", origin.description}});
  }
  auto res = error_response(request, refusal.status, refusal.code, refusal.reason);
  if (refusal.retry_after) res.set(http::field::retry_after, *refusal.retry_after);
  res.keep_alive(false);
  co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
}

}  // namespace

asio::awaitable<void> upgrade_to_websocket(ServerContext& context, std::size_t shard,
                                           beast::tcp_stream& stream,
                                           const beast::flat_buffer& buffer, Request request,
                                           const RequestOrigin& origin) {
  spdlog::debug("upgrade {} from {}", redact_target(request.target()), origin.description);
  // Each refusal is named before its co_await (g++ 12: see net/worker_call.hpp).
  if (context.shutting_down) {
    const UpgradeRefusal refusal{http::status::service_unavailable, "unavailable",
                                 "server shutting down", metrics::ConnectRefusal::shutting_down};
    co_await refuse(context, stream, request, refusal, origin);
    co_return;
  }
  if (!valid_websocket_key(request[http::field::sec_websocket_key])) {
    const UpgradeRefusal refusal{http::status::bad_request,
                                 "bad_request",
                                 "Sec-WebSocket-Key must be the base64 of 16 bytes",
                                 metrics::ConnectRefusal::bad_request,
                                 "refused",
                                 "invalid Sec-WebSocket-Key"};
    co_await refuse(context, stream, request, refusal, origin);
    co_return;
  }
  auto decision = co_await authorize_upgrade(context, request);
  if (!decision.identity) {
    const UpgradeRefusal refusal{decision.status, decision.error_code, decision.reason,
                                 refusal_of(decision)};
    co_await refuse(context, stream, request, refusal, origin);
    co_return;
  }
  auth::Identity identity = std::move(*decision.identity);
  auto admitted = co_await admit(context.admission, identity, decision.since, origin);
  if (auto* refusal = std::get_if<UpgradeRefusal>(&admitted)) {
    co_await refuse(context, stream, request, *refusal, origin, &identity);
    co_return;
  }
  auto& admission = std::get<Admission>(admitted);

  chat::Participant participant{context.next_connection_id++, shard, identity.subject,
                                identity.username,
                                identity.client_id == context.settings.dashboard_client};
  participant.analytics = participant.dashboard && identity.admin;
  // The session runs on its own, so the HTTP coroutine's buffer, parser and stream are freed
  // once this returns rather than kept for the connection's life.
  const auto executor = stream.get_executor();
  const auto early = buffer.cdata();
  auto session = std::make_shared<WebSocketSession>(
      context.websocket, stream.release_socket(),
      std::string_view(static_cast<const char*>(early.data()), early.size()),
      std::move(participant), std::move(identity), origin.description);
  // The slot lives in the function co_spawn keeps until run() returns: the connection counts
  // until it ends.
  asio::co_spawn(
      executor,
      [session, slot = std::move(admission.slot), request = std::move(request),
       since = decision.since, older = std::move(admission.older),
       truncated = admission.older_truncated, bearer = decision.bearer_subprotocol]() mutable {
        return session->run(std::move(request), since, std::move(older), truncated, bearer);
      },
      asio::detached);
}

}  // namespace natter::net
