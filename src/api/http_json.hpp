// JSON in and out of the REST API: response builders (errors as {"error":{"code","message"}}),
// strict readers for request bodies and query strings (a wrong type is bad input, never a
// default), and the wire shapes of channels, messages and bans. Knows nothing of routes.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api.hpp"
#include "chat/message.hpp"
#include "chat/store.hpp"
#include "common/result.hpp"
#include "net/http_reply.hpp"

namespace natter::api {

namespace http = boost::beast::http;

inline constexpr std::int64_t kDefaultPageLimit = 50;
inline constexpr std::int64_t kMaxPageLimit = 500;  // bounds one response; larger is capped

using net::error_response;
using net::json_response;
using net::no_content;
// A store or input error with its status: invalid 400, not_found 404, conflict 409,
// unavailable 503, internal 500 (the detail is logged, not sent).
Response error_response(const Request& request, const Error& error);

Error bad_input(std::string message);

// The request body as a JSON object; invalid when it is not one.
Result<boost::json::object> body_object(const Request& request);

// Body fields. A missing required field, a wrong type or a string over max_bytes (or not
// clean UTF-8 text) is invalid; an optional field may be absent or null.
Result<std::int64_t> int_field(const boost::json::object& body, std::string_view key);
Result<std::optional<std::int64_t>> optional_int_field(const boost::json::object& body,
                                                       std::string_view key);
Result<std::string> string_field(const boost::json::object& body, std::string_view key,
                                 std::size_t max_bytes);
Result<std::optional<std::string>> optional_string_field(const boost::json::object& body,
                                                         std::string_view key,
                                                         std::size_t max_bytes);

// A query string, decoded.
class Query {
 public:
  // invalid when the request target cannot be parsed.
  static Result<Query> of(const Request& request);

  // The last value of `key`, or nullopt.
  std::optional<std::string> text(std::string_view key) const;
  // Every value of a repeated key, in order; invalid past max_count or a value over max_bytes.
  Result<std::vector<std::string>> all(std::string_view key, std::size_t max_count,
                                       std::size_t max_bytes) const;
  // A whole decimal integer, or nullopt when absent.
  Result<std::optional<std::int64_t>> integer(std::string_view key) const;
  // `limit` (default 50, negative invalid, capped at 500) and `offset` (default 0).
  Result<std::int64_t> limit() const;
  Result<std::int64_t> offset() const;

 private:
  explicit Query(std::vector<std::pair<std::string, std::string>> params)
      : params_(std::move(params)) {}
  std::vector<std::pair<std::string, std::string>> params_;
};

// {"type", "sender", "payload"}: the envelope of the search and analytics results.
boost::json::object envelope(std::string_view type, std::string_view sender,
                             boost::json::object payload);

boost::json::object ban_json(const chat::BanRecord& ban);
// The payloads of session_activity and message_count_by_channel (REST and dashboards).
boost::json::object session_activity_payload(const std::vector<chat::DayActivity>& days);
boost::json::object channel_counts_payload(const std::vector<chat::ChannelCount>& counts);
std::string hours_text(std::int64_t hours);       // "24h"
std::string duration_text(std::int64_t seconds);  // "HH:MM:SS", hours unbounded

}  // namespace natter::api
