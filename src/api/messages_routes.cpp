// /messages: search (newest first, paged, full-text by keyword) and delete. A delete reaches
// live connections at once: the hub forgets the messages and tells everyone which cacheIDs
// are gone (messages_deleted).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "api/http_json.hpp"
#include "api/routes.hpp"
#include "api/store_call.hpp"
#include "common/limits.hpp"
#include "common/log_event.hpp"

namespace natter::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxChannelParams = 50;  // a search names a few channels, not thousands
constexpr std::size_t kMaxChannelBytes = Limits::channel_name_bytes;
constexpr std::size_t kMaxKeywordBytes = 256;
constexpr std::size_t kMaxUserIdBytes = Limits::user_id_bytes;
constexpr std::size_t kMaxDeleteIds = 500;  // one moderation action; bounds the IN list

Result<chat::MessageQuery> message_query(const Query& query) {
  chat::MessageQuery out;
  auto channels = query.all("channel", kMaxChannelParams, kMaxChannelBytes);
  if (!channels) return channels.error();
  out.channels = std::move(*channels);
  out.keyword = query.text("keyword").value_or("");
  if (out.keyword.size() > kMaxKeywordBytes) {
    return bad_input(fmt::format("'keyword' is longer than {} bytes", kMaxKeywordBytes));
  }
  out.user_id = query.text("user_id").value_or("");
  if (out.user_id.size() > kMaxUserIdBytes) {
    return bad_input(fmt::format("'user_id' is longer than {} bytes", kMaxUserIdBytes));
  }
  auto limit = query.limit();
  if (!limit) return limit.error();
  auto offset = query.offset();
  if (!offset) return offset.error();
  out.limit = *limit;
  out.offset = *offset;
  return out;
}

Result<std::vector<std::int64_t>> message_ids(const json::object& body) {
  const auto* ids = body.if_contains("ids");
  if (!ids || !ids->is_array()) return bad_input("'ids' must be an array of message ids");
  const auto& array = ids->get_array();
  if (array.empty()) return bad_input("'ids' must not be empty");
  if (array.size() > kMaxDeleteIds) {
    return bad_input(fmt::format("at most {} ids at once", kMaxDeleteIds));
  }
  std::vector<std::int64_t> out;
  out.reserve(array.size());
  for (const auto& id : array) {
    if (id.is_int64()) {
      out.push_back(id.get_int64());
    } else if (id.is_uint64()) {
      continue;  // beyond any row id: matches nothing
    } else {
      return bad_input("'ids' must hold integers only");
    }
  }
  return out;
}

}  // namespace

asio::awaitable<Response> search_messages(Call call) {
  auto query = Query::of(call.request);
  if (!query) co_return error_response(call.request, query.error());
  auto search = message_query(*query);
  if (!search) co_return error_response(call.request, search.error());
  auto& context = call.context;
  auto find = [&context, search = std::move(*search)] {
    return context.store.search_messages(search);
  };
  auto page = co_await call_store(context.workers, context.metrics, std::move(find));
  if (!page) co_return error_response(call.request, page.error());
  json::array messages;
  messages.reserve(page->items.size());
  for (const auto& message : page->items) messages.emplace_back(chat::to_json(message));
  json::object payload{{"messages", std::move(messages)}, {"has_more", page->has_more}};
  co_return json_response(call.request, http::status::ok,
                          envelope("message_search_result", "server", std::move(payload)));
}

asio::awaitable<Response> delete_messages(Call call) {
  auto body = body_object(call.request);
  if (!body) co_return error_response(call.request, body.error());
  auto ids = message_ids(*body);
  if (!ids) co_return error_response(call.request, ids.error());
  auto& context = call.context;
  auto remove = [&context, ids = std::move(*ids)]() -> Result<std::vector<std::int64_t>> {
    auto deleted = context.store.delete_messages(ids);
    if (deleted) context.hub.remove_messages(*deleted);
    return deleted;
  };
  auto deleted = co_await call_store(context.workers, context.metrics, std::move(remove));
  if (!deleted) co_return error_response(call.request, deleted.error());
  if (deleted->empty()) {
    co_return error_response(call.request, http::status::not_found, "not_found",
                             "no message matched those ids");
  }
  std::string cache_ids;
  for (const auto id : *deleted) cache_ids += (cache_ids.empty() ? "" : ",") + std::to_string(id);
  log_event(
      spdlog::level::info, "messages_deleted",
      {{"by", call.caller.subject}, {"user", call.caller.username}, {"cache_ids", cache_ids}});
  co_return no_content(call.request);
}

}  // namespace natter::api
