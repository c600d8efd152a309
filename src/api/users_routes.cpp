// /users, /users/ban, /users/bans: the user directory search, bans and pardons, and the ban
// records. A ban is issued by the calling admin (owner_id = their sub) and closes the banished
// user's live connections at once (chat::Moderation does it).
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

constexpr std::size_t kMaxUsernameBytes = 64;
constexpr std::size_t kMaxUserIdBytes = 255;
constexpr std::size_t kMaxReasonBytes = 512;
constexpr std::int64_t kMaxBanHours =
    std::int64_t{24} * 365 * 100;  // longer is "permanent": say so with 0

}  // namespace

asio::awaitable<Response> search_users(Call call) {
  auto query = Query::of(call.request);
  if (!query) co_return error_response(call.request, query.error());
  auto fragment = query->text("username").value_or("");
  if (fragment.size() > kMaxUsernameBytes) {
    co_return error_response(call.request, bad_input("'username' is longer than 64 bytes"));
  }
  auto limit = query->limit();
  if (!limit) co_return error_response(call.request, limit.error());
  auto& context = call.context;
  auto find = [&context, fragment = std::move(fragment), limit = *limit] {
    return context.store.search_users(fragment, limit);
  };
  auto users = co_await call_store(context.workers, context.metrics, std::move(find));
  if (!users) co_return error_response(call.request, users.error());
  json::array list;
  list.reserve(users->size());
  for (const auto& user : *users) {
    list.emplace_back(
        json::object{{"id", user.id}, {"username", user.username}, {"is_banned", user.is_banned}});
  }
  co_return json_response(
      call.request, http::status::ok,
      envelope("user_search_result", "server", json::object{{"users", std::move(list)}}));
}

asio::awaitable<Response> ban_user(Call call) {
  auto body = body_object(call.request);
  if (!body) co_return error_response(call.request, body.error());
  auto banished = string_field(*body, "banished_id", kMaxUserIdBytes);
  if (!banished) co_return error_response(call.request, banished.error());
  if (banished->empty())
    co_return error_response(call.request, bad_input("'banished_id' is empty"));
  auto reason = optional_string_field(*body, "reason", kMaxReasonBytes);
  if (!reason) co_return error_response(call.request, reason.error());
  auto hours = optional_int_field(*body, "duration");
  if (!hours) co_return error_response(call.request, hours.error());
  if (*hours && (**hours < 0 || **hours > kMaxBanHours)) {
    co_return error_response(
        call.request, bad_input("'duration' is hours from 0 (permanent) to 876000, or null"));
  }
  chat::NewBan ban{call.caller.subject, *banished, reason->value_or(""), std::nullopt,
                   chat::now_micros()};
  if (*hours && **hours > 0) ban.duration_hours = **hours;

  auto& context = call.context;
  auto issue = [&context, ban]() -> Result<chat::BanRecord> {
    auto known = context.store.username_of(ban.banished_id);
    if (!known) return known.error();
    if (!*known) return Error{Error::Kind::not_found, "no user with that id has ever connected"};
    return context.moderation.ban(ban);
  };
  auto record = co_await call_store(context.workers, context.metrics, std::move(issue));
  if (!record) co_return error_response(call.request, record.error());
  json::object answer{{"message", "User banned successfully"},
                      {"banished", record->banished_id},
                      {"reason", record->reason}};
  if (ban.duration_hours) {
    answer.emplace("duration", *ban.duration_hours);
  } else {
    answer.emplace("duration", nullptr);
  }
  co_return json_response(call.request, http::status::ok, answer);
}

asio::awaitable<Response> pardon_user(Call call) {
  auto query = Query::of(call.request);
  if (!query) co_return error_response(call.request, query.error());
  auto ban_id = query->integer("ban_id");
  if (!ban_id) co_return error_response(call.request, ban_id.error());
  if (!*ban_id) co_return error_response(call.request, bad_input("'ban_id' is required"));
  auto& context = call.context;
  auto pardon = [&context, id = **ban_id, by = call.caller.subject] {
    return context.moderation.pardon(id, by);
  };
  auto record = co_await call_store(context.workers, context.metrics, std::move(pardon));
  if (!record) co_return error_response(call.request, record.error());
  co_return json_response(
      call.request, http::status::ok,
      json::object{{"message", "User pardoned successfully"}, {"ban_id", record->id}});
}

asio::awaitable<Response> list_bans(Call call) {
  auto query = Query::of(call.request);
  if (!query) co_return error_response(call.request, query.error());
  auto limit = query->limit();
  if (!limit) co_return error_response(call.request, limit.error());
  auto offset = query->offset();
  if (!offset) co_return error_response(call.request, offset.error());
  auto& context = call.context;
  auto read = [&context, limit = *limit, offset = *offset] {
    return context.store.ban_records(limit, offset);
  };
  auto page = co_await call_store(context.workers, context.metrics, std::move(read));
  if (!page) co_return error_response(call.request, page.error());
  json::array records;
  records.reserve(page->items.size());
  for (const auto& ban : page->items) records.emplace_back(ban_json(ban));
  json::object payload{{"records", std::move(records)}, {"has_more", page->has_more}};
  co_return json_response(call.request, http::status::ok,
                          envelope("ban_records_result", "server", std::move(payload)));
}

}  // namespace natter::api
