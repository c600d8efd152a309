// Response builders, strict body and query readers, and the JSON shapes of section 5.
#include "api/http_json.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <charconv>
#include <limits>

#include "chat/protocol.hpp"
#include "net/forwarded.hpp"

namespace natter::api {
namespace json = boost::json;

namespace {

Result<std::int64_t> to_int64(const json::value& value, std::string_view key) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64() &&
      value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(value.get_uint64());
  }
  return bad_input(fmt::format("'{}' must be an integer", key));
}

Result<std::string> to_text(const json::value& value, std::string_view key, std::size_t max_bytes) {
  if (!value.is_string()) return bad_input(fmt::format("'{}' must be a string", key));
  const auto& text = value.get_string();
  if (text.size() > max_bytes) {
    return bad_input(fmt::format("'{}' is longer than {} bytes", key, max_bytes));
  }
  if (!chat::is_clean_text(text)) {
    return bad_input(fmt::format("'{}' must be UTF-8 text without control characters", key));
  }
  return std::string(text);
}

}  // namespace

Response error_response(const Request& request, const Error& error) {
  switch (error.kind) {
    case Error::Kind::invalid:
      return error_response(request, http::status::bad_request, "bad_request", error.message);
    case Error::Kind::not_found:
      return error_response(request, http::status::not_found, "not_found", error.message);
    case Error::Kind::conflict:
      return error_response(request, http::status::conflict, "conflict", error.message);
    case Error::Kind::unavailable:
      return error_response(request, http::status::service_unavailable, "unavailable",
                            error.message.empty() ? "the store is unavailable" : error.message);
    case Error::Kind::internal:
      break;
  }
  spdlog::error("api {} {}: {}", std::string_view(request.method_string()),
                net::redact_target(request.target()), error.message);
  return error_response(request, http::status::internal_server_error, "internal", "internal error");
}

Error bad_input(std::string message) { return Error{Error::Kind::invalid, std::move(message)}; }

Result<json::object> body_object(const Request& request) {
  json::error_code ec;
  json::value value = json::parse(request.body(), ec);
  if (ec) return bad_input("the body is not valid JSON");
  if (!value.is_object()) return bad_input("the body must be a JSON object");
  return std::move(value.get_object());
}

Result<std::int64_t> int_field(const json::object& body, std::string_view key) {
  const auto* value = body.if_contains(key);
  if (!value || value->is_null()) return bad_input(fmt::format("'{}' is required", key));
  return to_int64(*value, key);
}

Result<std::optional<std::int64_t>> optional_int_field(const json::object& body,
                                                       std::string_view key) {
  const auto* value = body.if_contains(key);
  if (!value || value->is_null()) return std::optional<std::int64_t>{};
  auto number = to_int64(*value, key);
  if (!number) return number.error();
  return std::optional<std::int64_t>{*number};
}

Result<std::string> string_field(const json::object& body, std::string_view key,
                                 std::size_t max_bytes) {
  const auto* value = body.if_contains(key);
  if (!value || value->is_null()) return bad_input(fmt::format("'{}' is required", key));
  return to_text(*value, key, max_bytes);
}

Result<std::optional<std::string>> optional_string_field(const json::object& body,
                                                         std::string_view key,
                                                         std::size_t max_bytes) {
  const auto* value = body.if_contains(key);
  if (!value || value->is_null()) return std::optional<std::string>{};
  auto text = to_text(*value, key, max_bytes);
  if (!text) return text.error();
  return std::optional<std::string>{std::move(*text)};
}

Result<Query> Query::of(const Request& request) {
  auto url = boost::urls::parse_origin_form(request.target());
  if (!url) return bad_input("malformed request target");
  std::vector<std::pair<std::string, std::string>> params;
  for (auto param : url->params()) params.emplace_back(param.key, param.value);
  return Query(std::move(params));
}

std::optional<std::string> Query::text(std::string_view key) const {
  std::optional<std::string> found;
  for (const auto& [k, v] : params_) {
    if (k == key) found = v;
  }
  return found;
}

Result<std::vector<std::string>> Query::all(std::string_view key, std::size_t max_count,
                                            std::size_t max_bytes) const {
  std::vector<std::string> values;
  for (const auto& [k, v] : params_) {
    if (k != key) continue;
    if (values.size() == max_count) {
      return bad_input(fmt::format("at most {} '{}' parameters", max_count, key));
    }
    if (v.size() > max_bytes) {
      return bad_input(fmt::format("'{}' is longer than {} bytes", key, max_bytes));
    }
    values.push_back(v);
  }
  return values;
}

Result<std::optional<std::int64_t>> Query::integer(std::string_view key) const {
  auto value = text(key);
  if (!value) return std::optional<std::int64_t>{};
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc{} || end != value->data() + value->size()) {
    return bad_input(fmt::format("'{}' must be an integer", key));
  }
  return std::optional<std::int64_t>{number};
}

Result<std::int64_t> Query::limit() const {
  auto limit = integer("limit");
  if (!limit) return limit.error();
  if (!*limit) return kDefaultPageLimit;
  if (**limit < 0) return bad_input("'limit' must not be negative");
  return std::min(**limit, kMaxPageLimit);
}

Result<std::int64_t> Query::offset() const {
  auto offset = integer("offset");
  if (!offset) return offset.error();
  if (!*offset) return std::int64_t{0};
  if (**offset < 0) return bad_input("'offset' must not be negative");
  return **offset;
}

json::object envelope(std::string_view type, std::string_view sender, json::object payload) {
  json::object o;
  o.reserve(3);
  o.emplace("type", type);
  o.emplace("sender", sender);
  o.emplace("payload", std::move(payload));
  return o;
}

json::object ban_json(const chat::BanRecord& ban) {
  json::object o;
  o.reserve(9);
  o.emplace("id", std::to_string(ban.id));
  o.emplace("owner_id", ban.owner_id);
  o.emplace("banished_id", ban.banished_id);
  o.emplace("banished_username", ban.banished_username);
  if (!ban.reason.empty()) o.emplace("reason", ban.reason);
  o.emplace("start", chat::format_time(ban.start));
  if (ban.end) o.emplace("end", chat::format_time(*ban.end));
  if (ban.end && ban.duration_hours) o.emplace("duration", hours_text(*ban.duration_hours));
  o.emplace("pardoned", ban.pardoned);
  return o;
}

json::object session_activity_payload(const std::vector<chat::DayActivity>& days) {
  json::array list;
  list.reserve(days.size());
  for (const auto& day : days) {
    list.emplace_back(json::object{{"session_date", day.date},
                                   {"session_count", day.session_count},
                                   {"total_duration", duration_text(day.total_seconds)}});
  }
  return json::object{{"session_activity", std::move(list)}};
}

json::object channel_counts_payload(const std::vector<chat::ChannelCount>& counts) {
  json::array list;
  list.reserve(counts.size());
  for (const auto& count : counts) {
    list.emplace_back(
        json::object{{"channel", count.channel}, {"message_count", count.message_count}});
  }
  return json::object{{"channels", std::move(list)}};
}

std::string hours_text(std::int64_t hours) { return fmt::format("{}h", hours); }

std::string duration_text(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  return fmt::format("{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
}

}  // namespace natter::api
