// /ratelimits: read and change the per-user message limit. A change is stored first, then
// handed to the live rate limiter, so it bites on the next message.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/http_json.hpp"
#include "api/routes.hpp"
#include "api/store_call.hpp"

namespace natter::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t kRateLimitRowId = 1;           // there is one row
constexpr std::int64_t kMaxMessageLimit = 1'000'000;  // as NATTER_RATE_LIMIT allows
constexpr std::int64_t kMaxWindowSeconds = 86'400;    // a day

chat::RateLimitRow seed_row(const config::Settings& settings) {
  return chat::RateLimitRow{kRateLimitRowId, "", settings.rate_limit_messages,
                            settings.rate_limit_window_seconds};
}

}  // namespace

asio::awaitable<Response> get_rate_limit(Call call) {
  auto& context = call.context;
  auto read = [&context] { return context.store.rate_limit(seed_row(context.settings)); };
  auto row = co_await call_store(context.workers, context.metrics, std::move(read));
  if (!row) co_return error_response(call.request, row.error());
  co_return json_response(call.request, http::status::ok,
                          json::object{{"rate_limiter", json::object{
                                                            {"id", row->id},
                                                            {"owner_id", row->owner_id},
                                                            {"message_limit", row->message_limit},
                                                            {"window_seconds", row->window_seconds},
                                                        }}});
}

asio::awaitable<Response> set_rate_limit(Call call) {
  auto body = body_object(call.request);
  if (!body) co_return error_response(call.request, body.error());
  auto id = int_field(*body, "id");
  if (!id) co_return error_response(call.request, id.error());
  auto message_limit = int_field(*body, "message_limit");
  if (!message_limit) co_return error_response(call.request, message_limit.error());
  auto window = int_field(*body, "window_seconds");
  if (!window) co_return error_response(call.request, window.error());
  if (*message_limit < 1 || *message_limit > kMaxMessageLimit) {
    co_return error_response(call.request, bad_input("'message_limit' must be 1..1000000"));
  }
  if (*window < 1 || *window > kMaxWindowSeconds) {
    co_return error_response(call.request, bad_input("'window_seconds' must be 1..86400"));
  }
  if (*id != kRateLimitRowId) {
    co_return error_response(call.request, http::status::not_found, "not_found",
                             "no rate limit with that id");
  }
  chat::RateLimitRow row{*id, call.caller.subject, *message_limit, *window};
  auto& context = call.context;
  auto store = [&context, row]() -> Status {
    auto stored = context.store.set_rate_limit(row);
    if (stored) {
      const chat::RateLimit limit{row.message_limit, row.window_seconds};
      context.limiter.set_limit(limit);
      if (context.bus) context.bus->rate_limit_changed(limit);
    }
    return stored;
  };
  auto stored = co_await call_store(context.workers, context.metrics, std::move(store));
  if (!stored) co_return error_response(call.request, stored.error());
  spdlog::info("api: {} set the rate limit to {} messages per {} s", call.caller.username,
               row.message_limit, row.window_seconds);
  co_return json_response(call.request, http::status::ok,
                          json::object{{"message", "Rate limit updated"}});
}

}  // namespace natter::api
