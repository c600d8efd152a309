// /activity/sessions and /activity/channels: the analytics the admin dashboard charts, with
// OnRabble's envelopes (sender "Server", as on the WebSocket where dashboards also get them).
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/http_json.hpp"
#include "api/routes.hpp"
#include "api/store_call.hpp"

namespace natter::api {
namespace asio = boost::asio;

namespace {
constexpr int kActivityDays = 7;  // today and the six days before it
constexpr std::size_t kMaxUserIdBytes = 255;
}  // namespace

asio::awaitable<Response> session_activity(Call call) {
  auto query = Query::of(call.request);
  if (!query) co_return error_response(call.request, query.error());
  auto user_id = query->text("user_id").value_or("");
  if (user_id.size() > kMaxUserIdBytes) {
    co_return error_response(call.request, bad_input("'user_id' is longer than 255 bytes"));
  }
  auto& context = call.context;
  auto read = [&context, user_id = std::move(user_id)] {
    return context.store.session_activity(user_id, kActivityDays, chat::now_micros());
  };
  auto days = co_await call_store(context.workers, context.metrics, std::move(read));
  if (!days) co_return error_response(call.request, days.error());
  co_return json_response(call.request, http::status::ok,
                          envelope("session_activity", "Server", session_activity_payload(*days)));
}

asio::awaitable<Response> channel_activity(Call call) {
  auto& context = call.context;
  auto read = [&context] { return context.store.message_counts(); };
  auto counts = co_await call_store(context.workers, context.metrics, std::move(read));
  if (!counts) co_return error_response(call.request, counts.error());
  co_return json_response(
      call.request, http::status::ok,
      envelope("message_count_by_channel", "Server", channel_counts_payload(*counts)));
}

}  // namespace natter::api
