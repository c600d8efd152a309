// /channels: list for any user; create, rename, describe, reorder and delete for admins. Every
// change is followed by the channel list re-read from the store and sent to every connection
// (active_channels), from the worker that made the change.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/http_json.hpp"
#include "api/routes.hpp"
#include "api/store_call.hpp"
#include "common/limits.hpp"

namespace natter::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxNameBytes = Limits::channel_name_bytes;
constexpr std::size_t kMaxDescriptionBytes = 512;  // the stores' limit

// Blocking: on a worker, right after a change the store accepted.
void publish_channels(net::ServerContext& context) {
  auto channels = context.store.channels();
  if (!channels) {
    spdlog::warn("channels changed but could not be re-read: {}", channels.error().message);
    return;
  }
  context.hub.set_channels(std::move(*channels));
}

Result<std::string> channel_name(const json::object& body) {
  auto name = string_field(body, "name", kMaxNameBytes);
  if (name && name->empty()) return bad_input("'name' must not be empty");
  return name;
}

Result<bool> purge_flag(const Query& query) {
  auto purge = query.text("purge");
  if (!purge || *purge == "false" || *purge == "0") return false;
  if (*purge == "true" || *purge == "1") return true;
  return bad_input("'purge' must be true or false");
}

asio::awaitable<Response> reorder_channel(Call call, const json::object& body) {
  if (body.contains("name") || body.contains("description")) {
    co_return error_response(
        call.request, bad_input("give either 'before_id' or 'name'/'description', not both"));
  }
  auto id = int_field(body, "id");
  if (!id) co_return error_response(call.request, id.error());
  auto before_id = optional_int_field(body, "before_id");
  if (!before_id) co_return error_response(call.request, before_id.error());
  auto& context = call.context;
  auto reorder = [&context, id = *id, before_id = *before_id] {
    auto done = context.store.reorder_channel(id, before_id);
    if (done) publish_channels(context);
    return done;
  };
  auto done = co_await call_store(context.workers, context.metrics, std::move(reorder));
  if (!done) co_return error_response(call.request, done.error());
  spdlog::info("api: {} moved channel {}", call.caller.username, *id);
  co_return json_response(call.request, http::status::ok,
                          json::object{{"message", "Channel reordered"}});
}

}  // namespace

asio::awaitable<Response> list_channels(Call call) {
  auto& context = call.context;
  auto read = [&context] { return context.store.channels(); };
  auto channels = co_await call_store(context.workers, context.metrics, std::move(read));
  if (!channels) co_return error_response(call.request, channels.error());
  json::array list;
  list.reserve(channels->size());
  for (const auto& channel : *channels) list.emplace_back(chat::to_json(channel));
  co_return json_response(call.request, http::status::ok,
                          json::object{{"channels", std::move(list)}});
}

asio::awaitable<Response> create_channel(Call call) {
  auto body = body_object(call.request);
  if (!body) co_return error_response(call.request, body.error());
  auto name = channel_name(*body);
  if (!name) co_return error_response(call.request, name.error());
  auto description = optional_string_field(*body, "description", kMaxDescriptionBytes);
  if (!description) co_return error_response(call.request, description.error());
  auto& context = call.context;
  auto create = [&context, name = *name, description = description->value_or("")] {
    auto created = context.store.create_channel(name, description);
    if (created) publish_channels(context);
    return created;
  };
  auto created = co_await call_store(context.workers, context.metrics, std::move(create));
  if (!created) co_return error_response(call.request, created.error());
  spdlog::info("api: {} created channel {} ({})", call.caller.username, created->name, created->id);
  co_return json_response(call.request, http::status::created,
                          json::object{{"message", "Channel created"}, {"name", created->name}});
}

asio::awaitable<Response> update_channel(Call call) {
  auto body = body_object(call.request);
  if (!body) co_return error_response(call.request, body.error());
  if (body->contains("before_id")) co_return co_await reorder_channel(call, *body);

  auto id = int_field(*body, "id");
  if (!id) co_return error_response(call.request, id.error());
  chat::ChannelUpdate update{*id, std::nullopt, std::nullopt};
  if (body->contains("name")) {
    auto name = channel_name(*body);
    if (!name) co_return error_response(call.request, name.error());
    update.name = std::move(*name);
  }
  auto description = optional_string_field(*body, "description", kMaxDescriptionBytes);
  if (!description) co_return error_response(call.request, description.error());
  update.description = std::move(*description);
  if (!update.name && !update.description) {
    co_return error_response(call.request,
                             bad_input("nothing to change: give 'name', 'description' or "
                                       "'before_id'"));
  }
  auto& context = call.context;
  auto change = [&context, update] {
    auto done = context.store.update_channel(update);
    if (done) publish_channels(context);
    return done;
  };
  auto done = co_await call_store(context.workers, context.metrics, std::move(change));
  if (!done) co_return error_response(call.request, done.error());
  spdlog::info("api: {} updated channel {}", call.caller.username, *id);
  co_return json_response(call.request, http::status::ok,
                          json::object{{"message", "Channel updated"}});
}

asio::awaitable<Response> delete_channel(Call call) {
  auto query = Query::of(call.request);
  if (!query) co_return error_response(call.request, query.error());
  auto id = query->integer("id");
  if (!id) co_return error_response(call.request, id.error());
  if (!*id) co_return error_response(call.request, bad_input("'id' is required"));
  auto purge = purge_flag(*query);
  if (!purge) co_return error_response(call.request, purge.error());
  auto& context = call.context;
  auto remove = [&context, id = **id, purge = *purge] {
    auto done = context.store.delete_channel(id, purge);
    if (done) publish_channels(context);
    return done;
  };
  auto done = co_await call_store(context.workers, context.metrics, std::move(remove));
  if (!done) co_return error_response(call.request, done.error());
  spdlog::info("api: {} deleted channel {}{}", call.caller.username, **id,
               *purge ? " and its messages" : "");
  co_return json_response(call.request, http::status::ok,
                          json::object{{"message", "Channel deleted"}});
}

}  // namespace natter::api
